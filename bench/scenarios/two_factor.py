"""Two-factor sign-in (product.md §11): the login that answers a challenge, passing it, and a
client's own methods. Scenarios turn `client_2fa` to `optional` (each on its own client, so
other clients log in without a second factor as before)."""

from __future__ import annotations

from typing import Any

from bench.scenarios import Request, scenario
from bench.stage import Stage


def _optional(stage: Stage) -> None:
    stage.set_settings(client_2fa="optional")


def _with_email_codes(stage: Stage) -> tuple[dict[str, Any], str]:
    _optional(stage)
    client, bearer = stage.active_client()
    stage.expect(stage.api.post("/portal/me/mfa/email", token=bearer), 200, "turn on email codes")
    return client, bearer


def _challenge(stage: Stage, email: str) -> str:
    answer = stage.expect(stage.portal.login(email), 200, "log in")
    return answer["challenge"]


@scenario("POST", "/portal/login (2fa due)")
def login_with_two_factor_due(stage: Stage) -> Request:
    """The dearest case: the organization requires it (one more read), the code is mailed."""
    _optional(stage)
    org = stage.expect(stage.api.post("/agent/organizations", {"name": stage.unique("Strict"), "require_2fa": True},
                                      token=stage.admin), 201, "create organization")
    email = stage.email()
    stage.portal.create_client(email, organization_id=org["id"])
    stage.expect(stage.portal.activate(email), 200, "activate")  # answers a challenge; not passed here
    return Request("POST", "/portal/login", json={"email": email, "password": stage.CLIENT_PASSWORD},
                   note="organization requires 2FA; email code queued")


@scenario("POST", "/portal/login/mfa")
def pass_challenge(stage: Stage) -> Request:
    client, _ = _with_email_codes(stage)
    challenge = _challenge(stage, client["email"])
    code = stage.portal.outbox.last("portal-login-code", client["email"])["data"]["code"]
    return Request("POST", "/portal/login/mfa", json={"challenge": challenge, "code": code, "remember_device": True})


@scenario("GET", "/portal/me/mfa")
def status(stage: Stage) -> Request:
    _, bearer = _with_email_codes(stage)
    return Request("GET", "/portal/me/mfa", token=bearer)


@scenario("POST", "/portal/me/mfa/totp")
def enrol(stage: Stage) -> Request:
    _optional(stage)
    _, bearer = stage.active_client()
    return Request("POST", "/portal/me/mfa/totp", token=bearer)


@scenario("POST", "/portal/me/mfa/totp/confirm")
def confirm(stage: Stage) -> Request:
    import pyotp

    _optional(stage)
    _, bearer = stage.active_client()
    secret = stage.expect(stage.api.post("/portal/me/mfa/totp", token=bearer), 200, "enrol")["secret"]
    return Request("POST", "/portal/me/mfa/totp/confirm", token=bearer, json={"code": pyotp.TOTP(secret).now()})


@scenario("POST", "/portal/me/mfa/email")
def email_codes(stage: Stage) -> Request:
    _optional(stage)
    _, bearer = stage.active_client()
    return Request("POST", "/portal/me/mfa/email", token=bearer)


@scenario("POST", "/portal/me/mfa/disable")
def disable(stage: Stage) -> Request:
    _, bearer = _with_email_codes(stage)
    return Request("POST", "/portal/me/mfa/disable", token=bearer, json={"password": stage.CLIENT_PASSWORD})
