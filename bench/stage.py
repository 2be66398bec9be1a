"""What scenarios build on: the app behind an API client, agents, and ready-made data.

Data is created through the HTTP API where a route exists (the contract in api.md is
steadier than any service's signature), and through services for bulk seeding.
"""

from __future__ import annotations

import itertools
import re
from functools import cached_property
from typing import Any
from urllib.parse import urljoin

from tests.support import AgentFactory, Api

# Shared by every Stage of the process, so names stay unique across parts on one moto.
_SERIAL = itertools.count(1)
ADMIN_EMAIL = "bench-admin@helpdesk.test"
AGENT_EMAIL = "bench-agent@helpdesk.test"


class SetupFailed(RuntimeError):
    """A request a scenario needed for its setup did not answer as expected."""


class Stage:
    def __init__(self, api: Api, agents: AgentFactory) -> None:
        self.api = api
        self.agents = agents

    def unique(self, prefix: str) -> str:
        return f"{prefix} {next(_SERIAL)}"

    @cached_property
    def admin(self) -> str:
        """An agent in the `admins` group (super user)."""
        return self.agents.token(ADMIN_EMAIL, ["admins"])

    @cached_property
    def agent(self) -> str:
        """An agent with no extra group."""
        return self.agents.token(AGENT_EMAIL, [])

    def expect(self, answer: Any, status: int, what: str) -> Any:
        if answer.status != status:
            raise SetupFailed(f"{what}: answered {answer.status} {answer.body[:200]!r}")
        return answer.json

    def organization(self, name: str | None = None) -> dict[str, Any]:
        answer = self.api.post("/agent/organizations", {"name": name or self.unique("Org")}, token=self.admin)
        return self.expect(answer, 201, "create organization")

    def portal_assets(self) -> list[str]:
        """Same-origin files the portal page references (stylesheets, scripts, icons)."""
        html = self.api.get("/portal").body.decode("utf-8", "replace")
        return referenced_paths(html)


_REFERENCE = re.compile(r"""<(?:link|script|img|source)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.I)


def referenced_paths(html: str, page: str = "/portal") -> list[str]:
    """Paths of the files an HTML page makes the browser load, same origin only."""
    paths = []
    for ref in _REFERENCE.findall(html):
        if ref.startswith(("http:", "https:", "//", "data:", "#", "mailto:")):
            continue
        path = urljoin(page, ref)
        if path not in paths:
            paths.append(path)
    return paths
