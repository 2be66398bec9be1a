"""Fuzzing every route of /openapi.json with schemathesis: no 5xx, every answer matches the
document (status code, content type, body schema, headers), and every route that declares
authentication refuses a request without it or with made-up credentials.

One pytest test per operation (`test_route_conforms[POST /agent/clients]`), each on a fresh
stack, with an `admins` agent's ID token on agent routes and an active client admin's session
on portal routes. A route with path parameters is called twice per example: as generated
(mostly unknown ids: the 404 path) and with ids that exist (a client, its organization, a
ticket, another agent, a portal asset), so the handlers behind the lookups are fuzzed too.
The document is the one `GET /openapi.json` serves (the same function;
`test_the_fuzzed_document_is_the_served_one` checks it), so routes added later are fuzzed with
no edit here. Requests go over real HTTP to Chalice's local server (as `make run`) on moto.

Bounded for CI: `PORTICO_FUZZ_EXAMPLES` examples per operation (default 10), positive and
negative data, deterministic (the same cases every run). Deeper and random each time:
`make fuzz` (`EXAMPLES=n`, default 200).
"""

from __future__ import annotations

import os
import re
import socket
from functools import cached_property
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks as st_checks

from app import app as _app  # noqa: F401  (importing it registers every route)
from chalicelib.openapi import openapi_document
from tests.support import AgentFactory, Api, Outbox, Portal

MAX_EXAMPLES = int(os.environ.get("PORTICO_FUZZ_EXAMPLES", "10"))
DETERMINISTIC = os.environ.get("PORTICO_FUZZ_RANDOM", "") in ("", "0")

CONFIG = schemathesis.Config.from_dict({
    "generation": {
        "max-examples": MAX_EXAMPLES,
        "mode": "all",  # positive and negative data
        "deterministic": DETERMINISTIC,
        "database": "none",  # nothing written to .hypothesis/
        "with-security-parameters": False,  # credentials are ours, below
    },
    # The coverage phase's boundary cases multiply per parameter (hundreds for a big body);
    # the fuzzing phase, bounded above, reaches the same kinds of input.
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
})
schema = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG)

# `ignored_auth`: a route that declares authentication must refuse a request without it or
# with made-up credentials (schemathesis re-sends a successful request both ways).
CHECKS = [st_checks.not_a_server_error, st_checks.status_code_conformance, st_checks.content_type_conformance,
          st_checks.response_schema_conformance, st_checks.response_headers_conformance, st_checks.ignored_auth]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def base_url():
    """The app behind Chalice's local server for this test process; each test's `aws_stack`
    resets moto underneath it."""
    from chalice import local

    from devtools.localserver import ServerThread

    # Not one access-log line per generated request (some URLs are kilobytes long): a failure
    # shows schemathesis' report, a curl command to reproduce and the app's own logs.
    access_log = local.ChaliceRequestHandler.log_message
    local.ChaliceRequestHandler.log_message = lambda *args, **kwargs: None
    port = _free_port()
    server = ServerThread("127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    server.stop()
    local.ChaliceRequestHandler.log_message = access_log


class World:
    """Principals and things that exist, made on first use (an operation pays only for what it needs)."""

    def __init__(self, api: Api, pool: Any) -> None:
        self.api, self.agents = api, AgentFactory(pool)

    @cached_property
    def agent(self) -> str:
        return self.agents.token("fuzz-admin@helpdesk.test", ["admins"])

    @cached_property
    def organization_id(self) -> str:
        return self.api.post("/agent/organizations", {"name": "Fuzz Ltd"}, token=self.agent).json["id"]

    @cached_property
    def _client(self) -> tuple[dict, str]:
        portal = Portal(self.api, self.agent, Outbox())
        client, session = portal.active_client("fuzz-client@acme.test", organization_id=self.organization_id,
                                               role="client_admin")
        return client, portal.bearer(session)

    @property
    def client_session(self) -> str:
        return self._client[1]

    @property
    def client_id(self) -> str:
        return self._client[0]["id"]

    @cached_property
    def number(self) -> str:
        answer = self.api.post("/portal/tickets", {"subject": "Fuzz", "description": "A ticket to fuzz."},
                               token=self.client_session)
        assert answer.status == 201, answer.json
        return str(answer.json["number"])

    @cached_property
    def username(self) -> str:
        self.agents.token("fuzz-target@helpdesk.test", ["view-reports"])
        return "fuzz-target@helpdesk.test"  # an agent's email names them in the path too

    @property
    def name(self) -> str:
        return "portal.css"

    def existing(self, parameter: str) -> str | None:
        """An id that exists for a path parameter of this name, or None for a name not known here."""
        return getattr(self, parameter) if parameter in KNOWN_PARAMETERS else None

    def headers_for(self, case: Any) -> dict[str, str]:
        security = {name for requirement in case.operation.definition.raw.get("security", []) for name in requirement}
        if "cognitoIdToken" in security:
            return {"Authorization": self.agent}
        if "portalBearer" in security:
            return {"Authorization": self.client_session}
        return {}


KNOWN_PARAMETERS = ("client_id", "organization_id", "number", "username", "name")


@pytest.fixture
def world(api, aws_stack):
    return World(api, aws_stack)


@schema.parametrize()
# One stack and one world per operation, shared by its examples on purpose.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_route_conforms(case, base_url, world):
    headers = world.headers_for(case)
    case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)
    existing = {name: world.existing(name) for name in re.findall(r"{(\w+)}", case.operation.path)}
    existing = {name: value for name, value in existing.items() if value is not None}
    if existing:
        case.path_parameters = {**(case.path_parameters or {}), **existing}
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)
    if "requestBody" in case.operation.definition.raw:
        _fuzz_nesting(case, base_url, headers)


# Nesting deeper than the app accepts (routes/api.py: MAX_JSON_DEPTH = 64), as values a JSON
# encoder can still write, then far past the interpreter's recursion limit as raw text.
NESTING_DEPTHS = (65, 400)
RAW_NESTING = 100_000


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for level in range(depth):
        value = [value] if level % 2 else {"x": value}
    return value


def _fuzz_nesting(case: Any, base_url: str, headers: dict[str, str]) -> None:
    """The generated body with a deeply nested value in it, then a raw body of nothing but
    brackets: never a 5xx, always an answer the document allows, in the {code, message} shape."""
    original = case.body
    for depth in NESTING_DEPTHS:
        case.body = {**original, "nested": _nested(depth)} if isinstance(original, dict) else _nested(depth)
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)
    case.body = original
    for raw in (b"[" * RAW_NESTING, b'{"a": ' + b"[" * RAW_NESTING + b"]" * RAW_NESTING + b"}"):
        answer = requests.request(case.method, base_url + case.formatted_path, data=raw, timeout=30, headers={
            **headers, "Content-Type": "application/json", "X-Requested-With": "portico"})
        assert answer.status_code < 500, (case.method, case.formatted_path, answer.status_code)
        assert {"code", "message"} <= set(answer.json()), answer.text[:200]


def test_the_fuzzed_document_is_the_served_one(base_url):
    served = requests.get(f"{base_url}/openapi.json", timeout=10)
    assert served.status_code == 200
    assert served.json() == openapi_document()
    assert len(served.json()["paths"]) >= 10
