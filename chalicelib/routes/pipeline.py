"""How a request flows: every stage, in the order it runs. app.py calls `install`; nothing
adds a stage by being imported.

Around every HTTP request, whichever route answers it (HTTP_MIDDLEWARE, outermost first), then
for the route's own operation (ROUTE_STAGES, then its handler), with domain errors mapped to
`{"code", "message"}` answers on the way out.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from chalice import Chalice, Response

from chalicelib.errors import Forbidden, PorticoError, Unauthorized, UnsupportedMediaType
from chalicelib.routes import middleware, portal_session, public
from chalicelib.routes.api import (
    IN_WRITE,
    Call,
    Operation,
    RouteGroup,
    agent_authorizer,
    error_response,
    json_object,
    parse_model,
)

Middleware = Callable[[Any, Callable[[Any], Response]], Response]
Stage = Callable[[Call], None]

# Around every HTTP request, outermost first.
HTTP_MIDDLEWARE: tuple[Middleware, ...] = (
    middleware.log_request,               # request id and route on each log line; status, duration, metrics
    middleware.secure_answer,             # Chalice's own errors as {code, message}; security headers on every answer
    middleware.refuse_oversized_body,     # a body over 256 KB: 400 before any other work
    public.page_for_browser_navigation,   # a browser opening /portal/tickets gets the page, fetch() the API
)


def refuse_cross_site(call: Call) -> None:
    """Routes declared `same_site_only` (the public portal POSTs: login, sign-up, ...): 415 for
    any body type but application/json, 403 without `X-Requested-With: portico`. Another site's
    page can post a form (text/plain, urlencoded, multipart) to us without asking, but cannot
    send JSON or a custom header without a CORS preflight, which we never grant. A body-less
    POST (logout) may omit the type."""
    if not call.operation.same_site_only:
        return
    media_type = (call.header("content-type") or "").split(";")[0].strip().lower()
    if media_type != "application/json" and (media_type or (call.request.raw_body or b"").strip()):
        raise UnsupportedMediaType("Send the request body as application/json.")
    if call.header(portal_session.CSRF_HEADER) != portal_session.CSRF_VALUE:
        raise Forbidden(f"Send the header X-Requested-With: {portal_session.CSRF_VALUE} with this request.")


def portal_access(call: Call) -> None:
    """The portal switch and the IP allowlist. The source IP is API Gateway's
    `requestContext.identity.sourceIp`, never a header the caller could forge."""
    from chalicelib.services.portal_access import check_portal_access

    check_portal_access(call.source_ip)


def authenticate_agent(call: Call) -> None:
    """The agent of the Cognito ID token (API Gateway's authorizer checked it when deployed)."""
    from chalicelib.services.agent_auth import authenticate_agent as agent_of

    authorizer = (call.request.context or {}).get("authorizer") or {}
    call.agent = agent_of(call.header("authorization"), authorizer.get("claims"))


# What every "public", "portal" and "portal_optional" route must pass first, in order.
PORTAL_GATES: tuple[Stage, ...] = (portal_access,)
GATED = ("portal", "public", "portal_optional")

# Who is calling, by the route's auth kind; "public" and "open" routes have no caller.
AUTHENTICATORS: dict[str, Stage] = {
    "agent": authenticate_agent,
    # The session (cookie or bearer token); on a write also the CSRF header and no read-only session.
    "portal": portal_session.authenticate_portal,
    # The same when the request carries a session; without one (or with a stale one), anonymous.
    "portal_optional": portal_session.authenticate_portal_if_present,
}


def pass_portal_gates(call: Call) -> None:
    if call.operation.auth not in GATED:
        return
    try:
        for gate in PORTAL_GATES:
            gate(call)
    except PorticoError as error:
        if call.operation.on_blocked is not None:
            call.operation.on_blocked(call, error)
        raise


def authenticate(call: Call) -> None:
    if call.operation.auth in ("public", "open"):
        return
    authenticator = AUTHENTICATORS.get(call.operation.auth)
    if authenticator is None:
        raise Unauthorized("Authentication is required.")
    authenticator(call)


def check_permission(call: Call) -> None:
    if call.operation.permission:
        from chalicelib.services.agent_auth import require_permission

        require_permission(call.agent, call.operation.permission)


def parse_query(call: Call) -> None:
    if call.operation.query:
        call.query = parse_model(call.operation.query, dict(call.request.query_params or {}))


def parse_body(call: Call) -> None:
    if call.operation.body:
        call.body = parse_model(call.operation.body, json_object(call.request))


# Inside the route, in order, before its handler.
ROUTE_STAGES: tuple[Stage, ...] = (
    refuse_cross_site,   # "same_site_only" routes: application/json and X-Requested-With, or 415 / 403
    pass_portal_gates,   # "public", "portal" and "portal_optional" routes: PORTAL_GATES
    authenticate,        # "agent", "portal" and "portal_optional" routes: AUTHENTICATORS
    check_permission,    # the agent permission the route names, if any
    parse_query,         # the query string into the route's query model (400 if it does not fit)
    parse_body,          # the JSON body (size and nesting bounded) into the route's body model
)


def run_handler(call: Call) -> Any:
    """The handler's answer; on an idempotent route, once per Idempotency-Key: a retry with the
    same key and body replays the first answer, the same key on another body is 409 (api.md)."""
    handle = functools.partial(call.operation.handler, call, **call.params)
    if not call.operation.idempotent:
        return handle()
    from chalicelib.services import idempotency

    if call.operation.idempotent == IN_WRITE:
        # The handler's service claims the key in its own transaction (no call of its own).
        call.once = idempotency.write_once(call.route_ref(), call.header("idempotency-key"),
                                           call.request.raw_body or b"")
        try:
            return handle()
        except idempotency.Replay as replay:
            return call.once.answer(replay.record)
    return idempotency.once(call.route_ref(), call.header("idempotency-key"), call.request.raw_body or b"",
                            handle, lambda_context=getattr(call.request, "lambda_context", None))


def _shape(result: Any, status: int) -> Response:
    if isinstance(result, Response):
        return result
    if result is None and status == 204:
        return Response(body="", status_code=204)
    return Response(body=result, status_code=status, headers={"Content-Type": "application/json"})


def _view(app: Chalice, operation: Operation) -> Callable[..., Response]:
    @functools.wraps(operation.handler)
    def view(**params: str) -> Response:
        call = Call(request=app.current_request, operation=operation, params=params)
        try:
            for stage in ROUTE_STAGES:
                stage(call)
            return _shape(run_handler(call), operation.status)
        except PorticoError as error:
            return error_response(error)

    return view


# Accept any declared type on routes with a body: it is parsed as JSON whatever it says, and a
# wrong Content-Type must not turn into Chalice's own 415 format.
_BODY_TYPES = ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]


def install(app: Chalice, groups: Iterable[RouteGroup]) -> None:
    """The middleware on `app`, then every operation of `groups` as a route with its stages."""
    app.register_middleware(middleware.log_invocation, "all")  # every handler: cold start, Lambda request id
    for stage in HTTP_MIDDLEWARE:
        app.register_middleware(stage, "http")
    for group in groups:
        for operation in group.operations:
            options: dict[str, Any] = {"methods": [operation.method]}
            if operation.auth == "agent":
                options["authorizer"] = agent_authorizer
            if operation.body or operation.same_site_only:
                options["content_types"] = _BODY_TYPES
            group.blueprint.route(operation.path, **options)(_view(app, operation))
        app.register_blueprint(group.blueprint)
