"""Throttling (product.md §5): failed log-ins per account and per IP, and sign-up,
forgot-password and activation attempts, answer 429 `too_many_requests` with `Retry-After`
once over the limit, until the 15-minute window ends; a password reset unlocks the account."""

from __future__ import annotations

import pytest

from chalicelib.services import throttle
from tests.support import CLIENT_PASSWORD

WRONG = "Wrong-Password-123"


@pytest.fixture(autouse=True)
def clock(clock):
    """Each test starts a second into a fresh window, so its attempts all fall in one window."""
    clock.advance(seconds=throttle.retry_after(throttle.LOGIN, clock.now()) + 1)
    return clock


def _assert_throttled(answer, clock=None):
    assert answer.status == 429, (answer.status, answer.json)
    assert answer.code == "too_many_requests" and answer.json["message"].startswith("Too many attempts")
    wait = int(answer.headers["retry-after"])
    assert 1 <= wait <= 15 * 60
    if clock is not None:  # the seconds left in the current window
        assert abs(wait - throttle.retry_after(throttle.LOGIN, clock.now())) <= 1
    return wait


def _fail_logins(portal, email, times):
    for _ in range(times):
        assert portal.login(email, WRONG).status == 401


def test_ten_failed_logins_lock_the_account_even_with_the_right_password(portal, source_ip, clock):
    portal.active_client("ana@example.com")
    portal.active_client("bob@example.com")
    for n in range(throttle.LOGIN.per_account):
        source_ip(f"198.51.100.{n + 1}")  # a different address each time: only the account counts
        assert portal.login("ana@example.com", WRONG).status == 401
    source_ip("198.51.100.200")
    _assert_throttled(portal.login("ana@example.com"), clock)
    _assert_throttled(portal.login("ANA@example.com", WRONG))  # any case of the email
    assert portal.login("bob@example.com").status == 200  # the address itself is not locked


def test_an_unknown_email_is_throttled_exactly_like_a_known_one(portal):
    _fail_logins(portal, "nobody@example.com", throttle.LOGIN.per_account)
    _assert_throttled(portal.login("nobody@example.com", WRONG))


def test_too_many_failures_from_one_address_lock_that_address(portal, source_ip):
    portal.active_client("ana@example.com")
    source_ip("203.0.113.9")
    for n in range(throttle.LOGIN.per_ip):
        assert portal.login(f"guess-{n % 6}-{n}@example.com", WRONG).status == 401
    _assert_throttled(portal.login("ana@example.com"))
    source_ip("203.0.113.10")
    assert portal.login("ana@example.com").status == 200


def test_ipv6_addresses_count_per_64_prefix(portal, source_ip):
    for n in range(throttle.LOGIN.per_ip):
        source_ip(f"2001:db8:1:2::{n + 1:x}")
        assert portal.login(f"guess-{n}@example.com", WRONG).status == 401
    source_ip("2001:db8:1:2:ffff::1")
    _assert_throttled(portal.login("other@example.com", WRONG))
    source_ip("2001:db8:1:3::1")
    assert portal.login("other@example.com", WRONG).status == 401


def test_the_lock_ends_with_its_window(portal, clock):
    portal.active_client("ana@example.com")
    _fail_logins(portal, "ana@example.com", throttle.LOGIN.per_account)
    wait = _assert_throttled(portal.login("ana@example.com"), clock)
    clock.advance(seconds=wait - 5)
    _assert_throttled(portal.login("ana@example.com"))
    clock.advance(seconds=6)
    assert portal.login("ana@example.com").status == 200


def test_a_successful_password_reset_unlocks_the_account(api, portal, outbox):
    portal.active_client("ana@example.com")
    _fail_logins(portal, "ana@example.com", throttle.LOGIN.per_account)
    _assert_throttled(portal.login("ana@example.com"))
    assert api.post("/portal/password/forgot", {"email": "ana@example.com"}).status == 202
    token = outbox.link_token("portal-password-reset", "ana@example.com", "reset_url")
    assert api.post("/portal/password/reset", {"token": token, "password": "Fresh-Start-2048"}).status == 204
    assert portal.login("ana@example.com", "Fresh-Start-2048").status == 200


def test_a_throttled_login_is_in_the_portal_log_under_the_client(api, portal, agents):
    client, _ = portal.active_client("ana@example.com")
    _fail_logins(portal, "ana@example.com", throttle.LOGIN.per_account)
    _assert_throttled(portal.login("ANA@example.com"))
    reports = agents.token("reports@helpdesk.test", ["view-reports"])
    newest = api.get("/agent/portal-log", token=reports).json["items"][0]
    assert (newest["event"], newest["outcome"], newest["reason"], newest["email"], newest["client_id"]) == (
        "login", "failure", "throttled", "ANA@example.com", client["id"])
    # An agent looking at this client's log sees the lock-out too.
    mine = api.get(f"/agent/portal-log?client_id={client['id']}", token=reports).json["items"]
    assert mine[0]["reason"] == "throttled"
    assert [i["reason"] for i in mine].count("wrong_password") == throttle.LOGIN.per_account


def test_a_throttled_login_of_an_unknown_email_names_no_client(api, portal, agents):
    _fail_logins(portal, "nobody@example.com", throttle.LOGIN.per_account)
    _assert_throttled(portal.login("nobody@example.com"))
    reports = agents.token("reports@helpdesk.test", ["view-reports"])
    newest = api.get("/agent/portal-log", token=reports).json["items"][0]
    assert (newest["reason"], newest["email"], newest["client_id"]) == ("throttled", "nobody@example.com", None)


def test_forgot_password_is_limited_per_email_and_per_address(api, source_ip):
    for n in range(throttle.FORGOT.per_account):
        source_ip(f"198.51.100.{n + 1}")
        assert api.post("/portal/password/forgot", {"email": "victim@example.com"}).status == 202
    _assert_throttled(api.post("/portal/password/forgot", {"email": "victim@example.com"}))
    source_ip("192.0.2.1")
    for n in range(throttle.FORGOT.per_ip):
        assert api.post("/portal/password/forgot", {"email": f"someone-{n}@example.com"}).status == 202
    _assert_throttled(api.post("/portal/password/forgot", {"email": "fresh@example.com"}))


def test_sign_up_is_limited_per_email(api, admin_token, outbox):
    version = api.get("/agent/settings", token=admin_token).json["version"]
    api.patch("/agent/settings", {"self_signup": True, "version": version}, token=admin_token)
    body = {"email": "spam@example.com", "name": "Spam", "password": CLIENT_PASSWORD}
    for _ in range(throttle.SIGNUP.per_account):
        assert api.post("/portal/signup", body).status == 202
    _assert_throttled(api.post("/portal/signup", body))
    assert api.post("/portal/signup", {**body, "email": "other@example.com"}).status == 202


@pytest.mark.usefixtures("aws_stack")
def test_a_refused_attempt_uses_up_no_allowance():
    """Sign-up and forgot-password count every attempt, but one refused by either counter is
    counted by neither: a locked email does not wear down the address it is tried from."""
    from chalicelib.errors import TooManyRequests

    limit = throttle.Limit("probe", per_account=1, per_ip=2)
    throttle.attempt(limit, ip="192.0.2.1", account="a@example.com")
    for _ in range(3):  # the account is at its limit
        with pytest.raises(TooManyRequests):
            throttle.attempt(limit, ip="192.0.2.1", account="a@example.com")
    throttle.attempt(limit, ip="192.0.2.1", account="b@example.com")  # the address's second, still allowed
    for _ in range(3):  # the address is at its limit
        with pytest.raises(TooManyRequests):
            throttle.attempt(limit, ip="192.0.2.1", account="c@example.com")
    throttle.attempt(limit, ip="192.0.2.9", account="c@example.com")  # c's first, elsewhere


def test_a_locked_email_does_not_lock_the_address_it_is_tried_from(api, source_ip):
    source_ip("198.51.100.1")
    for _ in range(throttle.FORGOT.per_account):
        assert api.post("/portal/password/forgot", {"email": "victim@example.com"}).status == 202
    for _ in range(throttle.FORGOT.per_ip - throttle.FORGOT.per_account):
        _assert_throttled(api.post("/portal/password/forgot", {"email": "victim@example.com"}))
    assert api.post("/portal/password/forgot", {"email": "colleague@example.com"}).status == 202


def test_failed_activations_are_limited_per_link_and_per_address(api, portal, source_ip):
    portal.create_client("new@example.com")
    token = portal.activation_token("new@example.com")
    source_ip("198.51.100.7")
    for _ in range(throttle.ACTIVATION.per_account):
        assert api.post("/portal/activate", {"token": token, "name": "N", "password": "short"}).status == 400
    _assert_throttled(api.post("/portal/activate", {"token": token, "name": "N", "password": CLIENT_PASSWORD}))

    source_ip("198.51.100.8")
    for n in range(throttle.ACTIVATION.per_ip):
        assert api.post("/portal/activate", {"token": f"guess-{n}", "name": "N", "password": CLIENT_PASSWORD}
                        ).status == 410
    _assert_throttled(api.post("/portal/signup/verify", {"token": "another-guess"}))


def test_counters_are_shared_in_dynamodb_and_expire_by_ttl(portal):
    from chalicelib.ids import utcnow
    from chalicelib.models.throttle import ThrottleModel

    _fail_logins(portal, "ana@example.com", 3)
    rows = list(ThrottleModel.scan())  # test-only read of the whole table
    assert sorted(int(r.count) for r in rows) == [3, 3]  # the account and the address
    assert all("ana@example.com" not in r.id and "127.0.0.1" not in r.id for r in rows)  # stored hashed
    assert all(0 < r.expires_ttl - utcnow().timestamp() <= 15 * 60 + 3600 + 5 for r in rows)
