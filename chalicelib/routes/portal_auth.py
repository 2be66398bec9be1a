"""Public portal routes around accounts (sign-up, activation, login, passwords) and the
portal session authenticator every `auth="portal"` route uses."""

from __future__ import annotations

from chalice import Response

from chalicelib.config import get_config
from chalicelib.errors import Forbidden, PorticoError, ReadOnly, Unauthorized
from chalicelib.ids import iso
from chalicelib.routes import api
from chalicelib.routes.api import Call, RouteGroup
from chalicelib.services.portal_log import Origin

routes = RouteGroup(__name__, auth="public", tag="portal-account")
blueprint = routes.blueprint

COOKIE = "portico_session"
# Cookie-authenticated writes must carry this header: a cross-site form cannot set it,
# on top of the SameSite=Strict cookie (defence in depth against CSRF).
CSRF_HEADER, CSRF_VALUE = "x-requested-with", "portico"
READS = ("GET", "HEAD", "OPTIONS")
ACCEPTED = {"message": "If the address can be used, we have sent an email to it. Check your inbox."}


def _cookie_token(call: Call) -> str | None:
    for part in (call.header("cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and value:
            return value
    return None


def session_token(call: Call) -> tuple[str | None, bool]:
    """(token, came from the cookie)."""
    authorization = call.header("authorization") or ""
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip(), False
    return _cookie_token(call), True


def authenticate_portal(call: Call) -> None:
    from chalicelib.services.sessions import authenticate

    token, from_cookie = session_token(call)
    if not token:
        raise Unauthorized("Log in to continue.")
    call.client = authenticate(token)
    method = call.request.method.upper()
    if method not in READS:
        if from_cookie and call.header(CSRF_HEADER) != CSRF_VALUE:
            raise Forbidden(f"Writes from the portal must send the header X-Requested-With: {CSRF_VALUE}.")
        if call.client.read_only:
            from chalicelib.services import portal_log

            # An agent viewing as the client tried to change something: refused, and on record.
            portal_log.record(portal_log.WRITE_REFUSED, portal_log.FAILURE, origin=origin(call),
                              client_id=call.client.id, email=call.client.email, reason="read_only",
                              agent=call.client.impersonated_by)
            raise ReadOnly("This is a read-only session: you are viewing as the client, changes are not allowed.")


api.AUTHENTICATORS["portal"] = authenticate_portal


def origin(call: Call) -> Origin:
    """The caller as the services may know it: API Gateway's source IP and the User-Agent."""
    return Origin(call.source_ip, call.user_agent)


def _cookie(call: Call, value: str, max_age: int) -> str:
    secure = "; Secure" if get_config().portal_url.startswith("https://") else ""
    path = f"{api.portal_prefix(call.request)}/portal"
    return f"{COOKIE}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"


def session_response(call: Call, client, session, status: int = 200) -> Response:
    from chalicelib.ids import utcnow

    max_age = max(0, int((session.expires_at - utcnow()).total_seconds()))
    body = {"user": client.as_portal_dict(), "token": session.token, "expires_at": iso(session.expires_at)}
    return Response(body=body, status_code=status, headers={
        "Content-Type": "application/json", "Set-Cookie": _cookie(call, session.token, max_age),
        "Cache-Control": "no-store"})


@routes.route("/portal/signup", "POST", status=202, summary="Sign up (public portal only)",
              body="clients.Signup", response="clients.Accepted", errors=(403, 429))
def signup(call: Call) -> dict:
    from chalicelib.services import accounts

    body = call.body
    accounts.signup(body.email, body.name, body.password, origin(call))
    return ACCEPTED


@routes.route("/portal/signup/verify", "POST", summary="Confirm a sign-up's email address; starts a session",
              body="clients.VerifySignup", response="clients.SessionAnswer", errors=(410, 429))
def verify_signup(call: Call) -> Response:
    from chalicelib.services import accounts

    client, session = accounts.verify_signup(call.body.token, origin(call))
    return session_response(call, client, session)


@routes.route("/portal/activation/{token}", "GET", summary="What an activation link is for",
              response="clients.ActivationInfo", errors=(410,))
def activation_info(call: Call, token: str) -> dict:
    from chalicelib.services import invitations

    info = invitations.activation_info(token)
    return {"email": info.email, "status": info.status, "name": info.name}


@routes.route("/portal/activate", "POST", summary="Activate an invitation: contact details and password",
              body="clients.Activate", response="clients.SessionAnswer", errors=(410, 429))
def activate(call: Call) -> Response:
    from chalicelib.services import invitations

    body = call.body
    client, session = invitations.activate(body.token, name=body.name, phone=body.phone, password=body.password,
                                           origin=origin(call))
    return session_response(call, client, session)


def _record_blocked_login(call: Call, error: PorticoError) -> None:
    """The portal gates refused a login before its body was parsed: still on record (product.md
    §5), with the email the body names if it is a JSON object with a string `email`; the password
    is never read."""
    from chalicelib.errors import InvalidInput
    from chalicelib.services import sessions

    try:
        email = api.json_object(call.request).get("email")
    except InvalidInput:
        email = None
    sessions.record_blocked_login(email if isinstance(email, str) else None, origin(call), reason=error.code)


@routes.route("/portal/login", "POST", summary="Log in with email and password", body="clients.Login",
              response="clients.SessionAnswer", errors=(401, 403, 429), on_blocked=_record_blocked_login)
def login(call: Call) -> Response:
    from chalicelib.services import sessions

    client, session = sessions.login(call.body.email, call.body.password, origin(call))
    return session_response(call, client, session)


@routes.route("/portal/logout", "POST", status=204, summary="End this session")
def logout(call: Call) -> Response:
    from chalicelib.services import sessions

    token, _ = session_token(call)
    sessions.logout(token)
    return Response(body="", status_code=204, headers={"Set-Cookie": _cookie(call, "", 0)})


@routes.route("/portal/password/forgot", "POST", status=202, summary="Email a password-reset link",
              body="clients.ForgotPassword", response="clients.Accepted", errors=(429,))
def forgot_password(call: Call) -> dict:
    from chalicelib.services import accounts

    accounts.forgot_password(call.body.email, origin(call))
    return ACCEPTED


@routes.route("/portal/password/reset", "POST", status=204, summary="Set a new password from a reset link",
              body="clients.ResetPassword", errors=(410,))
def reset_password(call: Call) -> None:
    from chalicelib.services import accounts

    accounts.reset_password(call.body.token, call.body.password, origin(call))
