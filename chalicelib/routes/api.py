"""What every route shares: its declaration, and what the pipeline's stages work on.

A capability module declares its routes with `RouteGroup.route(...)`: path and method, who may
call it (auth kind, permission), the pydantic models of its query string and JSON body, whether
a retry with the same `Idempotency-Key` replays the first answer. Declaring only records an
`Operation` (OPERATIONS, from which /openapi.json is generated); routes/pipeline.py mounts the
operations on the app with every stage of a request around them, in order.

Also here, for the stages and the handlers: `Call` (what a handler receives), JSON body and
query parsing, the `{"code", "message"}` error answer, and list pages with their cursors.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, CognitoUserPoolAuthorizer, Response

from chalicelib.config import user_pool_arn
from chalicelib.errors import InvalidInput, PorticoError

if TYPE_CHECKING:
    from chalicelib.identity import ActingAgent, ActingClient
    from chalicelib.services.idempotency import WriteOnce

MAX_BODY_BYTES = 256 * 1024
# Arrays and objects nested deeper than this are refused before the body is parsed: no request
# needs it, and far deeper input exhausts the interpreter's recursion in json or later code.
MAX_JSON_DEPTH = 64

agent_authorizer = CognitoUserPoolAuthorizer(
    "PorticoAgents",
    provider_arns=[user_pool_arn()],
)

Handler = Callable[..., Any]


@dataclass
class Operation:
    method: str
    path: str
    auth: str  # "agent", "portal", "portal_optional", "public" or "open": see RouteGroup
    summary: str
    tag: str
    status: int
    handler: Handler
    body: str | None = None
    query: str | None = None
    response: str | None = None
    permission: str | None = None
    errors: tuple[int, ...] = ()
    # A retry with the same Idempotency-Key answers the first answer and runs nothing (api.md).
    # IN_WRITE: the handler claims the key in its own transaction (Call.once), at no extra call.
    idempotent: bool | str = False
    # Called with the Call and the error when a portal gate refuses this route, before the
    # refusal is answered (the login records it in the portal log).
    on_blocked: Callable[[Call, PorticoError], None] | None = None
    # A browser must not be able to send it from another site's page (login CSRF): only
    # application/json, and the X-Requested-With header a cross-site form cannot set.
    same_site_only: bool = False

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


OPERATIONS: list[Operation] = []

# `idempotent=IN_WRITE`: the handler passes `call.once` (with its answer's `shape`) to a
# service that writes the key's record in the same transaction (services/idempotency.py).
IN_WRITE = "in-write"


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
    operation: Operation
    params: dict[str, str] = field(default_factory=dict)  # the URL's path parameters
    body: Any = None
    query: Any = None
    agent: ActingAgent | None = None
    client: ActingClient | None = None
    # On an `idempotent=IN_WRITE` route with an Idempotency-Key: the key, for the service's write.
    once: WriteOnce | None = None

    def answer_with(self, shape: Callable[[Any], dict]) -> Callable[[Any], dict]:
        """`shape` (what the write made -> the answer); on an IN_WRITE route with a key, also
        what the key's record stores for a retry."""
        if self.once is not None:
            self.once.shape = shape
        return shape

    def header(self, name: str) -> str | None:
        return (self.request.headers or {}).get(name.lower())

    @property
    def source_ip(self) -> str:
        # API Gateway's view of the peer; never a client-supplied header.
        return ((self.request.context or {}).get("identity") or {}).get("sourceIp") or ""

    @property
    def user_agent(self) -> str:
        return (self.header("user-agent") or "")[:512]

    @property
    def caller_ref(self) -> str:
        """Who is calling: "agent:<username>", "client:<id>", or "" before authentication."""
        if self.agent is not None:
            return f"agent:{self.agent.username}"
        return f"client:{self.client.id}" if self.client is not None else ""

    def route_ref(self, operation: Operation | None = None) -> str:
        """This route (or `operation`, which takes the same path parameters), its path
        parameters and the caller: what a cursor or an Idempotency-Key is valid for."""
        operation = operation or self.operation
        return json.dumps([operation.key, self.params, self.caller_ref], sort_keys=True, separators=(",", ":"))


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
    from pydantic import ValidationError  # lazy: cold start

    try:
        return schema(ref).model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc) from None


# What decides nesting: brackets, and the quotes and backslashes that say whether a bracket
# is inside a string.
_JSON_NESTING = re.compile(rb'[\[\]{}"\\]')


def _nested_deeper_than(raw: bytes, limit: int) -> bool:
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth, in_string, escaped_at = 0, False, -1
    for match in _JSON_NESTING.finditer(raw):
        char, position = match.group(), match.start()
        if position == escaped_at:
            continue
        if in_string:
            if char == b"\\":
                escaped_at = position + 1
            elif char == b'"':
                in_string = False
        elif char == b'"':
            in_string = True
        elif char in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif char in (b"]", b"}"):
            depth -= 1
    return False


def json_object(request: Any) -> dict[str, Any]:
    """The request body as a JSON object ({} when empty), or 400. Its size was checked before
    any route ran (routes/middleware.py: MAX_BODY_BYTES)."""
    raw = request.raw_body or b""
    if not raw.strip():
        return {}
    if _nested_deeper_than(raw, MAX_JSON_DEPTH):
        raise InvalidInput(f"The request body nests arrays or objects more than {MAX_JSON_DEPTH} deep.",
                           fields={"body": "nested too deeply"})
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidInput("The request body is not valid JSON.", fields={"body": "invalid JSON"}) from None
    if not isinstance(data, dict):
        raise InvalidInput("The request body must be a JSON object.", fields={"body": "expected an object"})
    return data


class RouteGroup:
    """The routes of one capability module. They share an OpenAPI tag and an auth kind:
    "agent" (Cognito), "portal" (client session), "portal_optional" (behind the portal gates; the
    client session when the request carries a valid one, else an anonymous visitor), "public"
    (no auth, but behind the portal gates) or "open" (no auth, no gates: the portal page itself
    and /openapi.json)."""

    def __init__(self, import_name: str, *, auth: str, tag: str, same_site_only: bool = False) -> None:
        self.blueprint = Blueprint(import_name)
        self.auth = auth
        self.tag = tag
        # Every POST of the group accepts only same-site requests (Operation.same_site_only).
        self.same_site_only = same_site_only
        self.operations: list[Operation] = []

    def route(self, path: str, method: str, *, summary: str, status: int = 200, body: str | None = None,
              query: str | None = None, response: str | None = None, permission: str | None = None,
              auth: str | None = None, errors: tuple[int, ...] = (), idempotent: bool | str = False,
              on_blocked: Callable[[Call, PorticoError], None] | None = None,
              ) -> Callable[[Handler], Handler]:
        def declare(handler: Handler) -> Handler:
            operation = Operation(method=method, path=path, auth=auth or self.auth, summary=summary, tag=self.tag,
                                  status=status, handler=handler, body=body, query=query, response=response,
                                  permission=permission, errors=errors, idempotent=idempotent, on_blocked=on_blocked,
                                  same_site_only=self.same_site_only and method == "POST")
            self.operations.append(operation)
            OPERATIONS.append(operation)
            return handler

        return declare


def _operation_of(handler: Handler) -> Operation:
    return next(operation for operation in OPERATIONS if operation.handler is handler)


def _list_binding(call: Call, operation: Operation, query: Any) -> str:
    """What a cursor is valid for: the route, its path parameters, the caller and every filter
    of the validated query (all its fields but `cursor` and `limit`)."""
    filters = query.model_dump(mode="json", exclude={"cursor", "limit"}) if query is not None else {}
    return call.route_ref(operation) + json.dumps(filters, sort_keys=True, separators=(",", ":"))


def next_cursor(call: Call, last_key: dict | None, *, of: Handler | None = None) -> str | None:
    """The cursor that continues this route's list after `last_key`, or that of the route `of`
    (same path parameters, no filters): a ticket's view starts its notes list."""
    from chalicelib.cursor import encode_cursor

    if of is None:
        return encode_cursor(_list_binding(call, call.operation, call.query), last_key)
    operation = _operation_of(of)
    query = parse_model(operation.query, {}) if operation.query else None
    return encode_cursor(_list_binding(call, operation, query), last_key)


def page(call: Call, items: list[Any], last_key: dict | None) -> dict[str, Any]:
    """The list answer every paginated route gives."""
    return {"items": [item.as_dict() if hasattr(item, "as_dict") else item for item in items],
            "next_cursor": next_cursor(call, last_key)}


def start_key(call: Call) -> dict | None:
    """Where this page of the list starts: the key inside the query's cursor, which must have been
    issued for this route, these path parameters, this caller and these filters (else 400)."""
    from chalicelib.cursor import decode_cursor

    return decode_cursor(_list_binding(call, call.operation, call.query), getattr(call.query, "cursor", None))
