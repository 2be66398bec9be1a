"""Two-factor sign-in on the portal (product.md §11): passing a login's challenge, and the
client's own methods (authenticator app, email codes, off)."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.ids import iso, utcnow
from chalicelib.routes.api import Call, RouteGroup, portal_prefix
from chalicelib.routes.portal_session import origin, session_cookie, session_response

DEVICE_COOKIE = "portico_device"

routes = RouteGroup(__name__, auth="portal", tag="portal-account")


def device_cookie(call: Call) -> str | None:
    """The "remember this device" cookie the browser sent, if any (checked by services/devices.py)."""
    for part in (call.header("cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == DEVICE_COOKIE and value:
            return value
    return None


def second_factor(call: Call) -> Any:
    """For sessions.login: the challenge to answer instead of a session, when one is due and
    this browser is not a remembered device of the client's."""
    from chalicelib.services import mfa

    device, where = device_cookie(call), origin(call)
    return lambda item: mfa.challenge_if_due(item, device, where)


def challenge_response(challenge: Any) -> Response:
    body = {"mfa_required": True, "challenge": challenge.id, "methods": list(challenge.methods),
            "expires_at": iso(challenge.expires_at)}
    return Response(body=body, status_code=200, headers={"Content-Type": "application/json",
                                                         "Cache-Control": "no-store"})


def session_or_challenge(call: Call, client: Any, result: Any) -> Response:
    """The answer of a route that logs a client in: the session, or the challenge that stands
    before it (services/mfa.py)."""
    from chalicelib.services.mfa import Challenge

    return challenge_response(result) if isinstance(result, Challenge) else session_response(call, client, result)


def _device_set_cookie(call: Call, value: str, max_age: int) -> str:
    secure = "; Secure" if session_cookie(call, "", 0).endswith("; Secure") else ""
    return (f"{DEVICE_COOKIE}={value}; Path={portal_prefix(call.request)}/portal; Max-Age={max_age}; HttpOnly; "
            f"SameSite=Strict{secure}")


@routes.route("/portal/login/mfa", "POST", summary="Pass a login's two-factor challenge; starts a session",
              auth="public", body="mfa.PassChallenge", response="clients.SessionAnswer", errors=(401, 410, 429))
def pass_challenge(call: Call) -> Response:
    from chalicelib.services import devices, mfa

    body = call.body
    passed = mfa.complete(body.challenge, body.code, remember_device=body.remember_device, origin=origin(call))
    now = utcnow()
    session = passed.session
    max_age = max(0, int((session.expires_at - now).total_seconds()))
    cookies = [session_cookie(call, session.token, max_age)]
    if passed.device_cookie:
        value, _ = passed.device_cookie
        cookies.append(_device_set_cookie(call, value, int(devices.REMEMBER_FOR.total_seconds())))
    answer = {"user": passed.client.as_portal_dict(), "token": session.token, "expires_at": iso(session.expires_at)}
    return Response(body=answer, status_code=200, headers={
        "Content-Type": "application/json", "Set-Cookie": cookies if len(cookies) > 1 else cookies[0],
        "Cache-Control": "no-store"})


@routes.route("/portal/me/mfa", "GET", summary="My two-factor sign-in: methods on, recovery codes left",
              response="mfa.MfaStatus")
def get_mfa(call: Call) -> dict:
    from chalicelib.services import mfa

    return mfa.status(call.client)


@routes.route("/portal/me/mfa/totp", "POST", summary="Start setting up an authenticator app",
              response="mfa.TotpEnrolment", errors=(403, 409))
def enrol_totp(call: Call) -> Response:
    from chalicelib.services import mfa

    enrolment = mfa.enrol_totp(call.client)
    return Response(body={"secret": enrolment.secret, "otpauth_uri": enrolment.otpauth_uri,
                          "qr_svg": enrolment.qr_svg},
                    status_code=200, headers={"Content-Type": "application/json", "Cache-Control": "no-store"})


@routes.route("/portal/me/mfa/totp/confirm", "POST", summary="Confirm the authenticator app with a first code",
              body="mfa.ConfirmTotp", response="mfa.RecoveryCodes", errors=(401, 403, 409))
def confirm_totp(call: Call) -> Response:
    from chalicelib.services import mfa

    codes = mfa.confirm_totp(call.client, call.body.code)
    return Response(body={"recovery_codes": codes}, status_code=200,
                    headers={"Content-Type": "application/json", "Cache-Control": "no-store"})


@routes.route("/portal/me/mfa/email", "POST", summary="Turn on sign-in codes by email",
              response="mfa.MfaStatus", errors=(403,))
def enable_email(call: Call) -> dict:
    from chalicelib.services import mfa

    return mfa.enable_email(call.client)


@routes.route("/portal/me/mfa/disable", "POST", summary="Turn two-factor sign-in off (not when required)",
              body="mfa.DisableMfa", response="mfa.MfaStatus", errors=(409,))
def disable(call: Call) -> dict:
    from chalicelib.services import mfa

    return mfa.disable(call.client, call.body.password)
