"""The portal session, as the pipeline and the sign-in routes see it: which session a request
carries (a bearer token, an agent's client-view cookie, or the session cookie), the
authenticator every `auth="portal"` route runs, and the answer that starts a session (its
cookie)."""

from __future__ import annotations

from chalice import Response

from chalicelib.config import get_config
from chalicelib.errors import Forbidden, ReadOnly, Unauthorized
from chalicelib.ids import iso
from chalicelib.routes.api import Call, portal_prefix
from chalicelib.services.portal_log import Origin

COOKIE = "portico_session"
# An agent's read-only client view (impersonation), kept apart from the session cookie so that
# it outlives a reload without replacing a client session in the same browser: it wins while
# it lasts (its Max-Age is the view's end), and stopping the view clears it alone.
CLIENT_VIEW_COOKIE = "portico_impersonation"
# Cookie-authenticated writes must carry this header: a cross-site form cannot set it,
# on top of the SameSite=Strict cookie (defence in depth against CSRF).
CSRF_HEADER, CSRF_VALUE = "x-requested-with", "portico"
READS = ("GET", "HEAD", "OPTIONS")


def cookie_token(call: Call, cookie: str = COOKIE) -> str | None:
    for part in (call.header("cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == cookie and value:
            return value
    return None


def session_token(call: Call) -> tuple[str | None, bool]:
    """(token, came from a cookie): a bearer token, else the client-view cookie, else the
    session cookie."""
    authorization = call.header("authorization") or ""
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip(), False
    return cookie_token(call, CLIENT_VIEW_COOKIE) or cookie_token(call), True


def require_csrf_header(call: Call) -> None:
    if call.header(CSRF_HEADER) != CSRF_VALUE:
        raise Forbidden(f"Writes from the portal must send the header X-Requested-With: {CSRF_VALUE}.")


def authenticate_portal(call: Call) -> None:
    """The client of the request's session; on a write, also the CSRF header (cookie sessions)
    and no read-only (impersonation) session."""
    from chalicelib.services.sessions import authenticate

    token, from_cookie = session_token(call)
    if not token:
        raise Unauthorized("Log in to continue.")
    call.client = authenticate(token)
    method = call.request.method.upper()
    if method not in READS:
        if from_cookie:
            require_csrf_header(call)
        if call.client.read_only:
            from chalicelib.services import portal_log

            # An agent viewing as the client tried to change something: refused, and on record.
            portal_log.record(portal_log.WRITE_REFUSED, portal_log.FAILURE, origin=origin(call),
                              client_id=call.client.id, email=call.client.email, reason="read_only",
                              agent=call.client.impersonated_by)
            raise ReadOnly("This is a read-only session: you are viewing as the client, changes are not allowed.")


def authenticate_portal_if_present(call: Call) -> None:
    """`authenticate_portal` for a request that carries a session; none, or one that is no
    longer valid (expired, logged out), leaves the caller an anonymous visitor."""
    token, _ = session_token(call)
    if not token:
        return
    try:
        authenticate_portal(call)
    except Unauthorized:
        call.client = None


def origin(call: Call) -> Origin:
    """The caller as the services may know it: API Gateway's source IP and the User-Agent."""
    return Origin(call.source_ip, call.user_agent)


def session_cookie(call: Call, value: str, max_age: int, name: str = COOKIE) -> str:
    """The Set-Cookie value carrying `value` (an empty value and no age: the cookie is removed)."""
    secure = "; Secure" if get_config().portal_url.startswith("https://") else ""
    path = f"{portal_prefix(call.request)}/portal"
    return f"{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"


def session_response(call: Call, client, session) -> Response:
    from chalicelib.ids import utcnow

    max_age = max(0, int((session.expires_at - utcnow()).total_seconds()))
    body = {"user": client.as_portal_dict(), "token": session.token, "expires_at": iso(session.expires_at)}
    return Response(body=body, status_code=200, headers={
        "Content-Type": "application/json", "Set-Cookie": session_cookie(call, session.token, max_age),
        "Cache-Control": "no-store"})
