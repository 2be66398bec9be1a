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

    def serial(self) -> int:
        return next(_SERIAL)

    def unique(self, prefix: str) -> str:
        return f"{prefix} {self.serial()}"

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

    # --- client accounts (tests.support's Portal drives them as agents and clients would) ---

    CLIENT_PASSWORD = "Blue-Harbour-Lantern-91"

    @cached_property
    def clients_agent(self) -> str:
        """An agent with `manage-clients`."""
        return self.agents.token("bench-clients@helpdesk.test", ["manage-clients"])

    @cached_property
    def portal(self) -> Any:
        from tests.support import Outbox, Portal

        return Portal(self.api, self.clients_agent, Outbox())

    def email(self, prefix: str = "client") -> str:
        return f"{prefix}-{next(_SERIAL)}@bench.test"

    def client(self, *, invite: bool = True, **fields: Any) -> dict[str, Any]:
        """A client created by an agent (invited unless told otherwise)."""
        return self.portal.create_client(self.email(), invite=invite, **fields)

    def active_client(self, **fields: Any) -> tuple[dict[str, Any], str]:
        """(client, "Bearer <session token>") of an invited and activated client."""
        client, token = self.portal.active_client(self.email(), **fields)
        return client, f"Bearer {token}"

    @cached_property
    def shared_client(self) -> tuple[dict[str, Any], str]:
        """One active client for the scenarios that leave its account and sessions as they
        were (activation hashes a password: slow on purpose, so not once per scenario)."""
        return self.active_client()

    @cached_property
    def client_admin(self) -> tuple[dict[str, Any], str, dict[str, Any]]:
        """(client admin, bearer, organization) with an active colleague in the organization."""
        org = self.organization()
        admin, bearer = self.active_client(organization_id=org["id"], role="client_admin")
        self.active_client(organization_id=org["id"])
        return admin, bearer, org

    def mailed_token(self, template: str, email: str, key: str) -> str:
        return self.portal.outbox.link_token(template, email, key)

    def set_settings(self, **changes: Any) -> None:
        self.expect(self.api.patch("/agent/settings", changes, token=self.admin), 200, "change settings")

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
