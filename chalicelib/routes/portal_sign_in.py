"""Public portal routes that get a client into an account and out of it: sign-up and its
verification, an invitation's activation, login and logout, a forgotten password's reset."""

from __future__ import annotations

from chalice import Response

from chalicelib.errors import PorticoError
from chalicelib.routes.api import Call, RouteGroup, json_object
from chalicelib.routes.portal_mfa import second_factor, session_or_challenge
from chalicelib.routes.portal_session import origin, session_cookie, session_token

# Every POST here is same-site only (JSON and X-Requested-With): no login CSRF.
routes = RouteGroup(__name__, auth="public", tag="portal-account", same_site_only=True)

ACCEPTED = {"message": "If the address can be used, we have sent an email to it. Check your inbox."}


@routes.route("/portal/signup", "POST", status=202, summary="Sign up (public portal only)",
              body="clients.Signup", response="clients.Accepted", errors=(403, 429))
def signup(call: Call) -> dict:
    from chalicelib.services import accounts

    body = call.body
    accounts.signup(body.email, body.name, body.password, origin(call))
    return ACCEPTED


@routes.route("/portal/signup/verify", "POST", summary="Confirm a sign-up's email address; starts a session",
              body="clients.VerifySignup", response="mfa.LoginAnswer", errors=(410, 429))
def verify_signup(call: Call) -> Response:
    from chalicelib.services import accounts

    client, session = accounts.verify_signup(call.body.token, origin(call))
    return session_or_challenge(call, client, session)


@routes.route("/portal/email/verify", "POST", summary="Confirm a new email address an agent set",
              body="clients.VerifyEmail", response="clients.EmailConfirmed", errors=(409, 410, 429))
def verify_email(call: Call) -> dict:
    from chalicelib.services import email_change, throttle

    with throttle.link_failures_counted(call.body.token, ip=origin(call).ip):
        client = email_change.confirm(call.body.token)
    return {"email": client.email}


@routes.route("/portal/activation/{token}", "GET", summary="What an activation link is for",
              response="clients.ActivationInfo", errors=(410, 429))
def activation_info(call: Call, token: str) -> dict:
    from chalicelib.services import invitations

    info = invitations.activation_info(token, origin(call))
    return {"email": info.email, "status": info.status, "name": info.name}


@routes.route("/portal/activate", "POST", summary="Activate an invitation: contact details and password",
              body="clients.Activate", response="mfa.LoginAnswer", errors=(410, 429))
def activate(call: Call) -> Response:
    from chalicelib.services import invitations

    body = call.body
    client, session = invitations.activate(body.token, name=body.name, phone=body.phone, password=body.password,
                                           origin=origin(call))
    return session_or_challenge(call, client, session)


def _record_blocked_login(call: Call, error: PorticoError) -> None:
    """The portal gates refused a login before its body was parsed: still on record (product.md
    §5), with the email the body names if it is a JSON object with a string `email`; the password
    is never read."""
    from chalicelib.errors import InvalidInput
    from chalicelib.services import sessions

    try:
        email = json_object(call.request).get("email")
    except InvalidInput:
        email = None
    sessions.record_blocked_login(email if isinstance(email, str) else None, origin(call), reason=error.code)


@routes.route("/portal/login", "POST", summary="Log in with email and password", body="clients.Login",
              response="mfa.LoginAnswer", errors=(401, 403, 429), on_blocked=_record_blocked_login)
def login(call: Call) -> Response:
    from chalicelib.services import sessions

    body = call.body
    client, session = sessions.login(body.email, body.password, origin(call), second_factor(call))
    return session_or_challenge(call, client, session)


@routes.route("/portal/logout", "POST", status=204, summary="End this session")
def logout(call: Call) -> Response:
    from chalicelib.services import sessions

    token, _ = session_token(call)
    sessions.logout(token)
    return Response(body="", status_code=204, headers={"Set-Cookie": session_cookie(call, "", 0)})


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
