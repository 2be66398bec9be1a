"""The one place HTTP meets the services.

`RouteGroup.route(...)` registers a Chalice route and wraps its handler so that every
route, in one way:
  - authenticates the caller for its kind (agent, portal, public) and checks a permission;
  - parses the query string and JSON body with the pydantic model named for it;
  - turns domain errors (chalicelib.errors) into `{"code", "message"}` answers;
  - records itself in OPERATIONS, from which /openapi.json is generated.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalice import Blueprint, CognitoUserPoolAuthorizer, Response

from chalicelib.config import user_pool_arn
from chalicelib.errors import InvalidInput, PorticoError, Unauthorized

MAX_BODY_BYTES = 256 * 1024

agent_authorizer = CognitoUserPoolAuthorizer(
    "PorticoAgents",
    provider_arns=[user_pool_arn()],
)


@dataclass
class Operation:
    method: str
    path: str
    auth: str
    summary: str
    tag: str
    status: int
    body: str | None = None
    query: str | None = None
    response: str | None = None
    permission: str | None = None
    errors: tuple[int, ...] = ()
    binary: bool = False
    # Called with the Call and the error when a portal gate refuses this route, before the
    # refusal is answered (the login records it in the portal log).
    on_blocked: Callable[[Call, PorticoError], None] | None = None


OPERATIONS: list[Operation] = []


def schema(ref: str | None) -> Any:
    """Resolve "module.Model" inside chalicelib.schemas (imported on first use)."""
    if ref is None:
        return None
    module, _, name = ref.rpartition(".")
    return getattr(importlib.import_module(f"chalicelib.schemas.{module}"), name)


_SAFE_PREFIX = re.compile(r"^(/[A-Za-z0-9._-]+)*$")


def portal_prefix(request: Any) -> str:
    """The path before /portal in the browser's URL: "/api" on an execute-api URL (the stage
    is part of the path), "" locally or behind a custom domain. The page's links and the
    session cookie's Path both need it: a cookie for /portal never reaches /api/portal."""
    full = str((getattr(request, "context", None) or {}).get("path") or "")
    index = full.find("/portal")
    prefix = full[:index] if index > 0 else ""
    return prefix if _SAFE_PREFIX.match(prefix) else ""


@dataclass
class Call:
    """What a handler receives besides its URL parameters."""

    request: Any
    body: Any = None
    query: Any = None
    agent: Any = None
    client: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return (self.request.headers or {}).get(name.lower())

    @property
    def source_ip(self) -> str:
        # API Gateway's view of the peer; never a client-supplied header.
        return ((self.request.context or {}).get("identity") or {}).get("sourceIp") or ""

    @property
    def user_agent(self) -> str:
        return (self.header("user-agent") or "")[:512]

    def once(self, scope: str, action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run a creating `action` once per `Idempotency-Key` (api.md), keyed per route scope and
        per caller so that two callers' keys never collide."""
        from chalicelib.services import idempotency

        caller = f"agent:{self.agent.username}" if self.agent is not None else f"client:{self.client.id}"
        return idempotency.once(f"{scope}:{caller}", self.header("idempotency-key"), self.request.raw_body or b"",
                                action, lambda_context=getattr(self.request, "lambda_context", None))


# Authenticators by route kind. Each sets the principal on the Call or raises.
# "agent" is defined here; "portal" is registered by the portal-session capability.
Authenticator = Callable[[Call], None]
AUTHENTICATORS: dict[str, Authenticator] = {}
# Checks every public and portal route runs first (portal switch, IP allowlist).
PORTAL_GATES: list[Authenticator] = []


def _authenticate_agent(call: Call) -> None:
    from chalicelib.services.agent_auth import authenticate_agent

    authorizer = (call.request.context or {}).get("authorizer") or {}
    call.agent = authenticate_agent(call.header("authorization"), authorizer.get("claims"))


AUTHENTICATORS["agent"] = _authenticate_agent


def error_response(error: PorticoError) -> Response:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.fields:
        body["fields"] = error.fields
    headers = {"Content-Type": "application/json"}
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return Response(body=body, status_code=error.status, headers=headers)


def _validation_error(exc: Any) -> InvalidInput:
    fields: dict[str, str] = {}
    for problem in exc.errors():
        location = ".".join(str(part) for part in problem.get("loc", ())) or "body"
        fields.setdefault(location, problem.get("msg", "invalid"))
    return InvalidInput("Some fields are not valid.", fields=fields)


def parse_model(ref: str, data: Any) -> Any:
    from pydantic import ValidationError

    try:
        return schema(ref).model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc) from None


def json_object(request: Any) -> dict[str, Any]:
    """The request body as a JSON object ({} when empty), or 400. Its size was checked before
    any route ran (middleware: MAX_BODY_BYTES)."""
    raw = request.raw_body or b""
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("The request body is not valid JSON.", fields={"body": "invalid JSON"}) from None
    if not isinstance(data, dict):
        raise InvalidInput("The request body must be a JSON object.", fields={"body": "expected an object"})
    return data


def _parse_body(ref: str, request: Any) -> Any:
    return parse_model(ref, json_object(request))


def _shape(result: Any, status: int) -> Response:
    if isinstance(result, Response):
        return result
    if result is None and status == 204:
        return Response(body="", status_code=204)
    return Response(body=result, status_code=status, headers={"Content-Type": "application/json"})


class RouteGroup:
    """A blueprint whose routes share an auth kind: "agent" (Cognito), "portal" (client
    session), "public" (no auth, but behind the portal gates) or "open" (no auth, no gates:
    the portal page itself and /openapi.json)."""

    def __init__(self, import_name: str, *, auth: str, tag: str) -> None:
        self.blueprint = Blueprint(import_name)
        self.auth = auth
        self.tag = tag

    def route(self, path: str, method: str, *, summary: str, status: int = 200, body: str | None = None,
              query: str | None = None, response: str | None = None, permission: str | None = None,
              auth: str | None = None, errors: tuple[int, ...] = (), content_types: list[str] | None = None,
              on_blocked: Callable[[Call, PorticoError], None] | None = None,
              ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        kind = auth or self.auth
        operation = Operation(method, path, kind, summary, self.tag, status, body, query, response, permission,
                              errors, on_blocked=on_blocked)
        OPERATIONS.append(operation)

        def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(handler)
            def view(**params: Any) -> Response:
                call = Call(request=self.blueprint.current_request)
                try:
                    _prepare(call, operation)
                    return _shape(handler(call, **params), status)
                except PorticoError as error:
                    return error_response(error)

            route_kwargs: dict[str, Any] = {"methods": [method]}
            if kind == "agent":
                route_kwargs["authorizer"] = agent_authorizer
            if content_types:
                route_kwargs["content_types"] = content_types
            elif body:
                # Accept any declared type: the body is parsed as JSON whatever it says, and a
                # wrong Content-Type must not turn into Chalice's own 415 format.
                route_kwargs["content_types"] = ["application/json", "text/plain",
                                                 "application/x-www-form-urlencoded"]
            self.blueprint.route(path, **route_kwargs)(view)
            return handler

        return decorate


def _prepare(call: Call, operation: Operation) -> None:
    if operation.auth in ("portal", "public"):
        try:
            for gate in PORTAL_GATES:
                gate(call)
        except PorticoError as error:
            if operation.on_blocked is not None:
                operation.on_blocked(call, error)
            raise
    if operation.auth not in ("public", "open"):
        authenticate = AUTHENTICATORS.get(operation.auth)
        if authenticate is None:
            raise Unauthorized("Authentication is required.")
        authenticate(call)
    if operation.permission:
        from chalicelib.services.agent_auth import require_permission

        require_permission(call.agent, operation.permission)
    if operation.query:
        call.query = parse_model(operation.query, dict(call.request.query_params or {}))
    if operation.body:
        call.body = _parse_body(operation.body, call.request)


def page(scope: str, items: list[Any], last_key: dict | None) -> dict[str, Any]:
    """The list answer every paginated route gives."""
    from chalicelib.cursor import encode_cursor

    return {"items": [item.as_dict() if hasattr(item, "as_dict") else item for item in items],
            "next_cursor": encode_cursor(scope, last_key)}


def start_key(scope: str, query: Any) -> dict | None:
    from chalicelib.cursor import decode_cursor

    return decode_cursor(scope, getattr(query, "cursor", None))
