"""The client portal log (product.md §5): every login attempt, activation and password reset
is recorded with its outcome or reason, time, IP and user agent, kept 400 days; agents with
*view reports* list it by client and time range, newest first."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support import CLIENT_PASSWORD

BROWSER = {"User-Agent": "Mozilla/5.0 (portal-log test)"}
DEACTIVATED = "This account has been deactivated. Contact your helpdesk."
UNVERIFIED = "Confirm your email address first: follow the link we sent you."


@pytest.fixture
def reports(agents):
    return agents.token("reports@helpdesk.test", ["view-reports"])


def _log(api, token, **filters):
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    answer = api.get(f"/agent/portal-log?{query}", token=token)
    assert answer.status == 200, answer.json
    return answer.json


def _settings(api, admin_token, **values):
    version = api.get("/agent/settings", token=admin_token).json["version"]
    assert api.patch("/agent/settings", {**values, "version": version}, token=admin_token).status == 200


def test_every_login_attempt_is_logged_with_its_outcome_ip_and_user_agent(api, portal, reports, source_ip):
    client, _ = portal.active_client("ana@example.com")
    source_ip("203.0.113.7")
    assert api.post("/portal/login", {"email": "ana@example.com", "password": CLIENT_PASSWORD},
                    headers=BROWSER).status == 200
    assert api.post("/portal/login", {"email": "ana@example.com", "password": "Wrong-Password-123"},
                    headers=BROWSER).status == 401
    source_ip("2001:db8::5")
    unknown = api.post("/portal/login", {"email": "Nobody@Example.com", "password": "Wrong-Password-123"},
                       headers=BROWSER)
    assert unknown.json == {"code": "invalid_credentials", "message": "The email or password is not correct."}

    items = _log(api, reports)["items"]
    logins = [i for i in items if i["event"] == "login"]
    assert [(i["outcome"], i["reason"], i["client_id"], i["email"], i["ip"]) for i in logins] == [
        ("failure", "unknown_email", None, "Nobody@Example.com", "2001:db8::5"),
        ("failure", "wrong_password", client["id"], "ana@example.com", "203.0.113.7"),
        ("success", None, client["id"], "ana@example.com", "203.0.113.7"),
    ]
    assert all(i["user_agent"] == BROWSER["User-Agent"] and i["at"].endswith("Z") and i["agent"] is None
               for i in logins)


def test_refused_accounts_are_logged_with_the_reason(api, portal, reports, admin_token):
    disabled, _ = portal.active_client("off@example.com")
    api.patch(f"/agent/clients/{disabled['id']}", {"disabled": True}, token=portal.agent_token)
    invited = portal.create_client("pending@example.com")
    _settings(api, admin_token, self_signup=True)
    api.post("/portal/signup", {"email": "self@example.com", "name": "Self", "password": CLIENT_PASSWORD})

    # api.md allows a login only 401 invalid_credentials: the client hears why in the message
    # (told only after a right password), the log keeps the precise reason.
    assert portal.login("off@example.com").json == {"code": "invalid_credentials", "message": DEACTIVATED}
    assert portal.login("pending@example.com").code == "invalid_credentials"
    assert portal.login("self@example.com").json == {"code": "invalid_credentials", "message": UNVERIFIED}

    reasons = {i["email"]: (i["reason"], i["client_id"]) for i in _log(api, reports)["items"]
               if i["event"] == "login"}
    assert reasons["off@example.com"] == ("account_disabled", disabled["id"])
    assert reasons["pending@example.com"] == ("not_active", invited["id"])
    assert reasons["self@example.com"][0] == "email_not_verified" and reasons["self@example.com"][1]


BLOCKED = {"code": "portal_blocked", "message": "Client self-service portal temporarily blocked"}


def test_a_login_refused_because_the_portal_is_off_is_logged(api, portal, reports, admin_token, source_ip):
    client, session = portal.active_client("ana@example.com")
    _settings(api, admin_token, portal_enabled=False)
    source_ip("203.0.113.7")
    assert api.post("/portal/login", {"email": "ana@example.com", "password": CLIENT_PASSWORD},
                    headers=BROWSER).json == BLOCKED
    assert api.post("/portal/login", {"email": "who@example.com", "password": "Secret-Guess-1"}).json == BLOCKED
    assert api.post("/portal/login", body=b"not json", headers=BROWSER).json == BLOCKED
    # Only login attempts: other refused routes and the page are not log-in attempts.
    assert api.get("/portal/me", token=portal.bearer(session)).json == BLOCKED
    assert api.post("/portal/password/forgot", {"email": "ana@example.com"}).json == BLOCKED
    assert api.get("/portal").status == 200

    logins = [i for i in _log(api, reports)["items"] if i["event"] == "login"]
    assert [(i["outcome"], i["reason"], i["client_id"], i["email"], i["ip"]) for i in logins] == [
        ("failure", "portal_blocked", None, None, "203.0.113.7"),
        ("failure", "portal_blocked", None, "who@example.com", "203.0.113.7"),
        ("failure", "portal_blocked", client["id"], "ana@example.com", "203.0.113.7"),
    ]
    assert logins[-1]["user_agent"] == BROWSER["User-Agent"]
    assert [i["event"] for i in _log(api, reports)["items"]].count("login") == 3
    assert all(CLIENT_PASSWORD not in str(i) and "Secret-Guess-1" not in str(i)
               for i in _log(api, reports)["items"])


def test_a_login_from_outside_the_allowlist_is_logged_under_the_client(api, portal, reports, admin_token,
                                                                        source_ip):
    client, _ = portal.active_client("ana@example.com")
    _settings(api, admin_token, allow_all_ips=False, ip_allowlist=["203.0.113.0/24"])
    source_ip("198.51.100.9")
    assert api.post("/portal/login", {"email": "ANA@example.com", "password": CLIENT_PASSWORD},
                    headers=BROWSER).json == BLOCKED

    newest = _log(api, reports, client_id=client["id"])["items"][0]
    assert (newest["event"], newest["outcome"], newest["reason"], newest["email"], newest["ip"],
            newest["user_agent"]) == ("login", "failure", "portal_blocked", "ANA@example.com", "198.51.100.9",
                                      BROWSER["User-Agent"])


def test_activation_and_password_reset_are_logged(api, portal, outbox, reports, clock):
    client = portal.create_client("new@example.com")
    token = portal.activation_token("new@example.com")
    assert portal.activate("new@example.com", password="short").status == 400
    assert portal.activate("new@example.com").status == 200
    assert api.post("/portal/activate", {"token": token, "name": "Again", "password": CLIENT_PASSWORD}).status == 410

    api.post("/portal/password/forgot", {"email": "new@example.com"})
    reset = outbox.link_token("portal-password-reset", "new@example.com", "reset_url")
    assert api.post("/portal/password/reset", {"token": reset, "password": "Fresh-Start-2048"}).status == 204
    api.post("/portal/password/forgot", {"email": "new@example.com"})
    late = outbox.link_token("portal-password-reset", "new@example.com", "reset_url")
    clock.advance(minutes=61)
    assert api.post("/portal/password/reset", {"token": late, "password": "Fresh-Start-4096"}).status == 410

    items = _log(api, reports, client_id=client["id"])["items"]
    assert [(i["event"], i["outcome"], i["reason"]) for i in items] == [
        ("password_reset", "failure", "token_expired"),
        ("password_reset", "success", None),
        ("activation", "failure", "token_used"),
        ("activation", "success", None),
        ("activation", "failure", "password_rejected"),
    ]
    assert all(i["client_id"] == client["id"] and i["email"] == "new@example.com" for i in items)


def test_the_log_lists_by_client_and_time_range_newest_first_in_pages(api, portal, reports, clock):
    ana, _ = portal.active_client("ana@example.com")
    bob, _ = portal.active_client("bob@example.com")
    start = clock.now()
    for _ in range(3):
        clock.advance(days=1)
        portal.login("ana@example.com")
        portal.login("bob@example.com", "Wrong-Password-123")

    ana_logins = [i for i in _log(api, reports, client_id=ana["id"], limit=100)["items"] if i["event"] == "login"]
    assert len(ana_logins) == 3 and {i["client_id"] for i in ana_logins} == {ana["id"]}
    assert [i["at"] for i in ana_logins] == sorted((i["at"] for i in ana_logins), reverse=True)

    only = (start + timedelta(days=2)).date().isoformat()
    that_day = _log(api, reports, **{"from": only, "to": only})["items"]
    assert {(i["client_id"], i["outcome"]) for i in that_day} == {(ana["id"], "success"), (bob["id"], "failure")}
    assert all(i["at"].startswith(only) for i in that_day)

    everything, cursor, pages = [], None, 0
    while True:
        answer = _log(api, reports, limit=2, **({"cursor": cursor} if cursor else {}))
        everything += answer["items"]
        pages += 1
        cursor = answer["next_cursor"]
        if not cursor:
            break
    assert pages >= 4 and len(everything) == 8  # 2 activations, 6 logins
    assert [i["at"] for i in everything] == sorted((i["at"] for i in everything), reverse=True)
    assert everything[0]["client_id"] == bob["id"] and everything[-1]["event"] == "activation"


def test_the_log_needs_view_reports_and_checks_its_filters(api, reports, agent_token, admin_token, portal):
    assert api.get("/agent/portal-log", token=agent_token).status == 403
    assert api.get("/agent/portal-log", token=portal.agent_token).status == 403  # manage-clients only
    assert api.get("/agent/portal-log", token=admin_token).status == 200
    assert api.get("/agent/portal-log").status == 401
    backwards = api.get("/agent/portal-log?from=2026-02-01&to=2026-01-01", token=reports)
    assert backwards.status == 400 and "to" in backwards.json["fields"]
    assert api.get("/agent/portal-log?from=yesterday", token=reports).status == 400
    assert api.get("/agent/portal-log?client_id=email%23x", token=reports).status == 400
    assert api.get("/agent/portal-log?cursor=forged", token=reports).status == 400
    for edge in ("from=0001-01-01T00:00:00%2B05:00", "to=9999-12-31T23:59:59-05:00"):
        assert api.get(f"/agent/portal-log?{edge}", token=reports).status == 400, edge


def test_far_dates_are_plain_bounds(api, portal, reports):
    portal.active_client("ana@example.com")
    assert _log(api, reports, **{"from": "0999-01-01", "to": "9999-12-31"})["items"]
    assert _log(api, reports, to="0999-12-31")["items"] == []


def test_entries_expire_after_400_days(portal):
    from chalicelib.ids import utcnow
    from chalicelib.models.portal_log import PortalLogModel
    from chalicelib.models.shards import query_shards

    portal.active_client("ttl@example.com")
    [entry], _ = query_shards(PortalLogModel.by_time, "all", sort_key="at", newest_first=True, limit=1, start=None)
    assert PortalLogModel.Meta.ttl_attribute == "expires_ttl"
    assert abs(entry.expires_ttl - (utcnow().timestamp() + 400 * 86400)) < 60


def test_a_failing_log_write_does_not_fail_the_login(api, portal, monkeypatch):
    from chalicelib.models.portal_log import PortalLogModel

    portal.active_client("fine@example.com")

    def broken(self, *args, **kwargs):
        raise RuntimeError("DynamoDB is having a bad day")

    monkeypatch.setattr(PortalLogModel, "save", broken)
    assert portal.login("fine@example.com").status == 200
    assert portal.login("fine@example.com", "Wrong-Password-123").status == 401


def test_a_failing_account_lookup_does_not_change_a_refused_login(api, portal, reports, admin_token, monkeypatch):
    from chalicelib.services import client_store, throttle

    portal.active_client("ana@example.com")

    def broken(email):
        raise RuntimeError("DynamoDB is having a bad day")

    monkeypatch.setattr(client_store, "client_id_by_email", broken)
    for _ in range(throttle.LOGIN.per_account):
        portal.login("ana@example.com", "Wrong-Password-123")
    assert portal.login("ana@example.com").status == 429
    _settings(api, admin_token, portal_enabled=False)
    assert portal.login("ana@example.com").json == BLOCKED
    newest = [(i["reason"], i["client_id"]) for i in _log(api, reports)["items"][:2]]
    assert newest == [("portal_blocked", None), ("throttled", None)]
