"""Two-factor sign-in for clients (product.md §11, api.md "Added in phase 2")."""

from __future__ import annotations

import pyotp
import pytest

from tests.support import CLIENT_PASSWORD


def _settings(api, admin_token, **values):
    current = api.get("/agent/settings", token=admin_token).json
    answer = api.patch("/agent/settings", {**values, "version": current["version"]}, token=admin_token)
    assert answer.status == 200, answer.json


def _active(portal, email, **fields):
    """A client invited and activated (passing the email code when two-factor is already due);
    returns (client, session token)."""
    client = portal.create_client(email, **fields)
    answer = portal.activate(email)
    assert answer.status == 200, answer.json
    if answer.json.get("mfa_required"):
        answer = _pass(portal.api, answer.json["challenge"], _code(portal.outbox, email))
        assert answer.status == 200, answer.json
    return client, answer.json["token"]


def _code(outbox, email):
    return outbox.last("portal-login-code", email)["data"]["code"]


def _challenge(portal, email):
    answer = portal.login(email)
    assert answer.status == 200 and answer.json["mfa_required"] is True, answer.json
    assert "token" not in answer.json and "set-cookie" not in answer.headers
    return answer.json


def _device(answer) -> str:
    """The "remember this device" cookie an answer sets (Set-Cookie given twice: a list here)."""
    cookies = answer.headers["set-cookie"]
    cookies = cookies if isinstance(cookies, list) else [cookies]
    found = [c for c in cookies if c.startswith("portico_device=")]
    assert len(found) == 1 and "HttpOnly" in found[0] and "SameSite=Strict" in found[0], cookies
    assert "Max-Age=2592000" in found[0]
    return found[0].split("=", 1)[1].split(";", 1)[0]


def _pass(api, challenge, code, **extra):
    return api.post("/portal/login/mfa", {"challenge": challenge, "code": code, **extra})


def _enrol_totp(api, bearer, clock=None):
    enrolment = api.post("/portal/me/mfa/totp", token=bearer)
    assert enrolment.status == 200, enrolment.json
    secret = enrolment.json["secret"]
    assert enrolment.json["otpauth_uri"].startswith("otpauth://totp/")
    assert enrolment.json["qr_svg"].lstrip().startswith("<svg")
    totp = pyotp.TOTP(secret)
    now = clock.now() if clock else None
    confirmed = api.post("/portal/me/mfa/totp/confirm", {"code": totp.at(now) if now else totp.now()}, token=bearer)
    assert confirmed.status == 200, confirmed.json
    return totp, confirmed.json["recovery_codes"]


@pytest.fixture
def required(api, admin_token):
    _settings(api, admin_token, client_2fa="required")


def test_off_by_default_login_starts_a_session_as_before(api, portal):
    _active(portal, "plain@acme.test")
    answer = portal.login("plain@acme.test")
    assert answer.status == 200 and answer.json["token"]
    assert api.get("/agent/settings").status == 401  # unchanged: agents only
    assert "mfa_required" not in answer.json


def test_required_login_answers_a_challenge_and_an_email_code_passes_it(api, portal, outbox, admin_token, required):
    _active(portal, "ana@acme.test")
    challenge = _challenge(portal, "ana@acme.test")
    assert challenge["methods"] == ["email"]
    code = _code(outbox, "ana@acme.test")
    assert len(code) == 6 and code.isdigit()
    answer = _pass(api, challenge["challenge"], code)
    assert answer.status == 200, answer.json
    assert answer.json["user"]["email"] == "ana@acme.test" and answer.json["expires_at"]
    assert answer.headers["set-cookie"].startswith("portico_session=")
    assert api.get("/portal/me", token=portal.bearer(answer.json["token"])).status == 200
    # single use
    again = _pass(api, challenge["challenge"], code)
    assert (again.status, again.code) == (410, "token_used")


def test_a_wrong_a_seven_digit_and_a_garbage_code_are_invalid_codes(api, portal, outbox, required):
    _active(portal, "bad@acme.test")
    challenge = _challenge(portal, "bad@acme.test")["challenge"]
    code = _code(outbox, "bad@acme.test")
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for attempt in (wrong, code + "1", "abcdef"):
        answer = _pass(api, challenge, attempt)
        assert (answer.status, answer.code) == (401, "invalid_code"), attempt
    assert _pass(api, challenge, code).status == 200


def test_the_code_expires_after_ten_minutes(api, portal, outbox, clock, required):
    _active(portal, "late@acme.test")
    challenge = _challenge(portal, "late@acme.test")["challenge"]
    code = _code(outbox, "late@acme.test")
    clock.advance(minutes=10, seconds=1)
    answer = _pass(api, challenge, code)
    assert (answer.status, answer.code) == (410, "token_expired")


def test_unknown_challenges_are_expired(api, portal, required):
    answer = _pass(api, "nothing-like-a-challenge", "123456")
    assert (answer.status, answer.code) == (410, "token_expired")
    assert api.post("/portal/login/mfa", {"challenge": "x", "code": ""}).status == 400
    assert api.post("/portal/login/mfa", {"challenge": "x"}).status == 400


def test_five_wrong_codes_lock_the_challenge(api, portal, outbox, admin_token, required):
    client, _ = _active(portal, "five@acme.test")
    challenge = _challenge(portal, "five@acme.test")["challenge"]
    code = _code(outbox, "five@acme.test")
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for _ in range(5):
        assert _pass(api, challenge, wrong).code == "invalid_code"
    locked = _pass(api, challenge, code)
    assert locked.status == 429 and locked.headers.get("retry-after")
    events = api.get(f"/agent/portal-log?client_id={client['id']}", token=admin_token).json["items"]
    assert [e["event"] for e in events].count("mfa_failed") == 5
    assert ("mfa_locked", "failure", "throttled") in [(e["event"], e["outcome"], e["reason"]) for e in events]


def test_wrong_codes_count_against_the_login_throttle_of_the_account(api, portal, outbox, required):
    _active(portal, "many@acme.test")
    for _ in range(2):
        challenge = _challenge(portal, "many@acme.test")["challenge"]
        for _ in range(5):
            _pass(api, challenge, "000000") if _code(outbox, "many@acme.test") != "000000" else None
    # 10 failures: the account's login counter is full; the next challenge is refused too
    answer = portal.login("many@acme.test")
    assert answer.status == 429


def test_a_code_of_another_challenge_does_not_pass(api, portal, outbox, required):
    _active(portal, "one@acme.test")
    _active(portal, "two@acme.test")
    first = _challenge(portal, "one@acme.test")["challenge"]
    _challenge(portal, "two@acme.test")
    answer = _pass(api, first, _code(outbox, "two@acme.test"))
    if _code(outbox, "two@acme.test") != _code(outbox, "one@acme.test"):
        assert answer.code == "invalid_code"


def test_optional_asks_only_clients_who_turned_it_on(api, portal, outbox, admin_token):
    _settings(api, admin_token, client_2fa="optional")
    _, session = _active(portal, "opt@acme.test")
    bearer = portal.bearer(session)
    assert portal.login("opt@acme.test").json.get("token")
    assert api.get("/portal/me/mfa", token=bearer).json == {
        "policy": "optional", "required": False, "methods": [], "totp_pending": False, "recovery_codes_left": 0}
    assert api.post("/portal/me/mfa/email", token=bearer).json["methods"] == ["email"]
    challenge = _challenge(portal, "opt@acme.test")
    assert _pass(api, challenge["challenge"], _code(outbox, "opt@acme.test")).status == 200
    off = api.post("/portal/me/mfa/disable", {"password": CLIENT_PASSWORD}, token=bearer)
    assert off.status == 200 and off.json["methods"] == []
    assert portal.login("opt@acme.test").json.get("token")


def test_off_refuses_enrolment(api, portal):
    _, session = _active(portal, "nope@acme.test")
    assert api.post("/portal/me/mfa/totp", token=portal.bearer(session)).status == 403
    assert api.post("/portal/me/mfa/email", token=portal.bearer(session)).status == 403


def test_an_organization_can_require_it(api, portal, outbox, admin_token):
    _settings(api, admin_token, client_2fa="optional")
    strict = api.post("/agent/organizations", {"name": "Strict", "require_2fa": True}, token=admin_token).json
    assert strict["require_2fa"] is True
    _, session = _active(portal, "org@strict.test", organization_id=strict["id"])
    challenge = _challenge(portal, "org@strict.test")
    assert challenge["methods"] == ["email"]
    off = api.post("/portal/me/mfa/disable", {"password": CLIENT_PASSWORD}, token=portal.bearer(session))
    assert off.status == 409
    relaxed = api.patch(f"/agent/organizations/{strict['id']}", {"require_2fa": False}, token=admin_token)
    assert relaxed.json["require_2fa"] is False
    assert portal.login("org@strict.test").json.get("token")


def test_totp_enrolment_login_replay_and_recovery_codes(api, portal, clock, admin_token):
    _settings(api, admin_token, client_2fa="optional")
    _, session = _active(portal, "app@acme.test")
    bearer = portal.bearer(session)
    totp, recovery = _enrol_totp(api, bearer, clock)
    assert len(recovery) == 10 and len(set(recovery)) == 10
    status = api.get("/portal/me/mfa", token=bearer).json
    assert status["methods"] == ["totp"] and status["recovery_codes_left"] == 10
    # enrolment confirmed twice
    assert api.post("/portal/me/mfa/totp/confirm", {"code": totp.at(clock.now())}, token=bearer).status == 409
    assert api.post("/portal/me/mfa/totp", token=bearer).status == 409

    clock.advance(seconds=60)
    challenge = _challenge(portal, "app@acme.test")
    assert challenge["methods"] == ["totp", "recovery"]
    code = totp.at(clock.now())
    assert _pass(api, challenge["challenge"], code).status == 200
    # the same code in its window, on a new challenge: a replay
    replay = _pass(api, _challenge(portal, "app@acme.test")["challenge"], code)
    assert (replay.status, replay.code) == (401, "invalid_code")
    # the next window's code passes
    clock.advance(seconds=30)
    assert _pass(api, _challenge(portal, "app@acme.test")["challenge"], totp.at(clock.now())).status == 200

    # a recovery code passes once
    first = _pass(api, _challenge(portal, "app@acme.test")["challenge"], recovery[0])
    assert first.status == 200
    reused = _pass(api, _challenge(portal, "app@acme.test")["challenge"], recovery[0])
    assert reused.code == "invalid_code"
    assert api.get("/portal/me/mfa", token=bearer).json["recovery_codes_left"] == 9


def test_the_totp_secret_is_stored_sealed(api, portal, clock, admin_token):
    from chalicelib.models.users import UserModel

    _settings(api, admin_token, client_2fa="optional")
    client, session = _active(portal, "sealed@acme.test")
    enrolment = api.post("/portal/me/mfa/totp", token=portal.bearer(session)).json
    item = UserModel.get(client["id"], consistent_read=True)
    assert item.totp_secret and enrolment["secret"] not in item.totp_secret
    assert item.totp_key_version == 1


def test_remember_this_device_skips_the_second_factor_until_the_password_changes(api, portal, outbox, required):
    _active(portal, "dev@acme.test")
    challenge = _challenge(portal, "dev@acme.test")["challenge"]
    answer = _pass(api, challenge, _code(outbox, "dev@acme.test"), remember_device=True)
    assert answer.status == 200
    device = _device(answer)
    remembered = api.post("/portal/login", {"email": "dev@acme.test", "password": CLIENT_PASSWORD},
                          headers={"Cookie": f"portico_device={device}"})
    assert remembered.json.get("token"), remembered.json
    changed = api.post("/portal/me/password", {"current_password": CLIENT_PASSWORD,
                                                "new_password": "Green-Valley-Kettle-77"},
                       token=portal.bearer(answer.json["token"]))
    assert changed.status == 204
    after = api.post("/portal/login", {"email": "dev@acme.test", "password": "Green-Valley-Kettle-77"},
                     headers={"Cookie": f"portico_device={device}"})
    assert after.json.get("mfa_required") is True


def test_disabling_the_client_forgets_its_devices(api, portal, outbox, admin_token, required):
    client, _ = _active(portal, "gone@acme.test")
    answer = _pass(api, _challenge(portal, "gone@acme.test")["challenge"], _code(outbox, "gone@acme.test"),
                   remember_device=True)
    device = _device(answer)
    path = f"/agent/clients/{client['id']}"
    assert api.patch(path, {"disabled": True}, token=portal.agent_token).status == 200
    assert api.patch(path, {"disabled": False}, token=portal.agent_token).status == 200
    again = api.post("/portal/login", {"email": "gone@acme.test", "password": CLIENT_PASSWORD},
                     headers={"Cookie": f"portico_device={device}"})
    assert again.json.get("mfa_required") is True


def test_another_clients_device_cookie_does_not_help(api, portal, outbox, required):
    _active(portal, "a@acme.test")
    _active(portal, "b@acme.test")
    answer = _pass(api, _challenge(portal, "a@acme.test")["challenge"], _code(outbox, "a@acme.test"),
                   remember_device=True)
    device = _device(answer)
    other = api.post("/portal/login", {"email": "b@acme.test", "password": CLIENT_PASSWORD},
                     headers={"Cookie": f"portico_device={device}"})
    assert other.json.get("mfa_required") is True


def test_every_outcome_is_in_the_portal_log(api, portal, outbox, admin_token, required):
    client, _ = _active(portal, "log@acme.test")
    challenge = _challenge(portal, "log@acme.test")["challenge"]
    code = _code(outbox, "log@acme.test")
    _pass(api, challenge, f"{(int(code) + 1) % 1000000:06d}")
    _pass(api, challenge, code)
    reports = portal.agent_token  # manage-clients cannot read reports: use the admin
    events = api.get(f"/agent/portal-log?client_id={client['id']}", token=admin_token).json["items"]
    assert reports
    seen = [(e["event"], e["outcome"], e["reason"]) for e in events]
    assert ("mfa_sent", "success", None) in seen
    assert ("mfa_failed", "failure", "invalid_code") in seen
    assert ("mfa_passed", "success", None) in seen
    assert ("login", "success", "mfa_required") in seen


def test_disable_needs_the_password_and_is_refused_when_required(api, portal, required):
    _, session = _active(portal, "must@acme.test")
    bearer = portal.bearer(session)
    assert api.post("/portal/me/mfa/disable", {"password": "wrong"}, token=bearer).status == 400
    assert api.post("/portal/me/mfa/disable", {"password": CLIENT_PASSWORD}, token=bearer).status == 409


def test_the_code_mail_is_delivered_at_once_by_the_stream(api, portal, outbox, mailbox, required):
    """A code that arrives after a minute is useless: queued → sent, measured by the outbox's
    own stamps, when the stream delivers the new item (as deployed)."""
    from datetime import datetime

    from chalicelib.models.outbox import OutboxModel
    from chalicelib.services import mail_delivery

    _active(portal, "fast@acme.test")
    _challenge(portal, "fast@acme.test")
    queued = outbox.last("portal-login-code", "fast@acme.test")
    queued_item = OutboxModel.get(queued["id"], consistent_read=True)
    mail_delivery.deliver_stream_records([{"eventName": "INSERT", "dynamodb": {"NewImage": {
        "id": {"S": queued_item.id}, "status": {"S": queued_item.status},
        "next_attempt_at": {"S": queued_item.next_attempt_at}}}}])
    item = OutboxModel.get(queued["id"], consistent_read=True)
    assert item.status == "sent"
    assert isinstance(item.sent_at, datetime)
    assert (item.sent_at - item.created_at).total_seconds() < 5
    assert mailbox.one(template="portal-login-code", to="fast@acme.test").data["code"] == queued["data"]["code"]


def test_a_wrong_password_is_refused_as_before_without_a_challenge(portal, outbox, required):
    _active(portal, "guess@acme.test")
    before = len(outbox.messages("portal-login-code", "guess@acme.test"))
    answer = portal.login("guess@acme.test", "Not-The-Password-1")
    assert (answer.status, answer.code) == (401, "invalid_credentials")
    assert len(outbox.messages("portal-login-code", "guess@acme.test")) == before


def test_activation_with_two_factor_due_asks_for_the_code_before_a_session(api, portal, outbox, required):
    portal.create_client("fresh@acme.test")
    answer = portal.activate("fresh@acme.test")
    assert answer.status == 200 and answer.json["mfa_required"] is True, answer.json
    assert "set-cookie" not in answer.headers and "token" not in answer.json
    passed = _pass(api, answer.json["challenge"], _code(outbox, "fresh@acme.test"))
    assert passed.status == 200 and passed.json["user"]["status"] == "active"


def test_a_password_reset_ends_remembered_devices_and_the_next_login_asks_again(api, portal, outbox, required):
    _active(portal, "reset@acme.test")
    device = _device(_pass(api, _challenge(portal, "reset@acme.test")["challenge"], _code(outbox, "reset@acme.test"),
                           remember_device=True))
    assert api.post("/portal/password/forgot", {"email": "reset@acme.test"}).status == 202
    token = outbox.link_token("portal-password-reset", "reset@acme.test", "reset_url")
    assert api.post("/portal/password/reset", {"token": token, "password": "Green-Valley-Kettle-77"}).status == 204
    again = api.post("/portal/login", {"email": "reset@acme.test", "password": "Green-Valley-Kettle-77"},
                     headers={"Cookie": f"portico_device={device}"})
    assert again.json.get("mfa_required") is True


def test_turning_two_factor_off_forgets_remembered_devices(api, portal, outbox, admin_token):
    _settings(api, admin_token, client_2fa="optional")
    _, session = _active(portal, "forget@acme.test")
    bearer = portal.bearer(session)
    api.post("/portal/me/mfa/email", token=bearer)
    device = _device(_pass(api, _challenge(portal, "forget@acme.test")["challenge"],
                           _code(outbox, "forget@acme.test"), remember_device=True))
    assert api.post("/portal/me/mfa/disable", {"password": CLIENT_PASSWORD}, token=bearer).status == 200
    api.post("/portal/me/mfa/email", token=bearer)
    again = api.post("/portal/login", {"email": "forget@acme.test", "password": CLIENT_PASSWORD},
                     headers={"Cookie": f"portico_device={device}"})
    assert again.json.get("mfa_required") is True


def test_a_totp_code_from_long_ago_or_a_wrong_one_does_not_confirm(api, portal, clock, admin_token):
    _settings(api, admin_token, client_2fa="optional")
    _, session = _active(portal, "drift@acme.test")
    bearer = portal.bearer(session)
    totp = pyotp.TOTP(api.post("/portal/me/mfa/totp", token=bearer).json["secret"])
    old = totp.at(clock.now().timestamp() - 300)
    answer = api.post("/portal/me/mfa/totp/confirm", {"code": old}, token=bearer)
    assert (answer.status, answer.code) == (401, "invalid_code")
    assert api.post("/portal/me/mfa/totp/confirm", {"code": "1234567"}, token=bearer).code == "invalid_code"
    assert api.get("/portal/me/mfa", token=bearer).json["totp_pending"] is True


def test_codes_count_against_the_address_too(api, portal, outbox, source_ip, required):
    from chalicelib.services import throttle

    source_ip("198.51.100.9")
    _active(portal, "ip@acme.test")
    challenge = _challenge(portal, "ip@acme.test")["challenge"]
    code = _code(outbox, "ip@acme.test")
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    assert _pass(api, challenge, wrong).code == "invalid_code"
    counters = throttle.counters(throttle.LOGIN, throttle.ids.utcnow(), ip="198.51.100.9", account="ip@acme.test")
    from chalicelib.models.throttle import ThrottleModel

    counts = {item.id: int(item.count) for item in ThrottleModel.batch_get([c.key for c in counters])}
    assert sorted(counts.values()) == [1, 1]


def test_the_page_feature_file_follows_the_portal_script_rules(api):
    from chalicelib.routes.public import PORTAL_DIR

    script = (PORTAL_DIR / "static" / "portal-mfa.js").read_text()
    for forbidden in ("localStorage", "sessionStorage", "innerHTML", "outerHTML", "insertAdjacentHTML",
                      "document.write", "eval(", "new Function", "http://", "https://"):
        assert forbidden not in script, forbidden
    assert 'autocomplete: "one-time-code"' in script
    served = api.get("/portal/static/portal-mfa.js")
    assert served.status == 200 and "javascript" in served.headers["content-type"]
    # loaded on demand: not part of the log-in page's first load
    assert "portal-mfa.js" not in api.get("/portal").body.decode()


def test_a_password_reset_ends_a_pending_challenge(api, portal, outbox, required):
    _active(portal, "pending@acme.test")
    challenge = _challenge(portal, "pending@acme.test")["challenge"]
    code = _code(outbox, "pending@acme.test")
    api.post("/portal/password/forgot", {"email": "pending@acme.test"})
    token = outbox.link_token("portal-password-reset", "pending@acme.test", "reset_url")
    assert api.post("/portal/password/reset", {"token": token, "password": "Green-Valley-Kettle-77"}).status == 204
    answer = _pass(api, challenge, code)
    assert (answer.status, answer.code) == (410, "token_expired")
