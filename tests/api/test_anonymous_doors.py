"""The portal's anonymous doors (issue 13): sign-up and forgot-password do the same work for
every address, so timing tells nothing; the public POSTs are same-site only (no login CSRF);
guessing through a session or activation links is throttled; unknown paths and methods are 404."""

from __future__ import annotations

import pytest

from bench import dynamo
from tests.support import CLIENT_PASSWORD

NEW_PASSWORD = "Quiet-Meadow-Compass-58"
PATHS = ("active", "invited", "unverified", "disabled", "never_invited", "unknown")


@pytest.fixture
def accounts_of_every_kind(api, admin_token, portal):
    """One address per kind of account (and one with none), on a portal open to sign-up."""
    current = api.get("/agent/settings", token=admin_token).json
    assert api.patch("/agent/settings", {"self_signup": True, "version": current["version"]},
                     token=admin_token).status == 200
    portal.active_client("active@example.com")
    portal.create_client("invited@example.com")
    assert api.post("/portal/signup", {"email": "unverified@example.com", "name": "Una",
                                       "password": CLIENT_PASSWORD}).status == 202
    disabled, _ = portal.active_client("disabled@example.com")
    assert api.patch(f"/agent/clients/{disabled['id']}", {"disabled": True}, token=admin_token).status == 200
    portal.create_client("never_invited@example.com", invite=False)
    return {kind: f"{kind}@example.com" for kind in PATHS}


@pytest.fixture
def warm_settings(monkeypatch):
    """Settings cached as in a deployed container (the tests otherwise read them on every use):
    what is compared is the work an address causes, not when the settings cache expires."""
    from chalicelib import config
    from chalicelib.services import settings

    monkeypatch.setenv("PORTICO_SETTINGS_CACHE_SECONDS", "600")
    config.reset()
    yield
    monkeypatch.undo()
    config.reset()
    settings.clear_cache()


@pytest.fixture
def hashes(monkeypatch):
    """How many Argon2 hashes and verifications the code under test ran."""
    from chalicelib.services import passwords

    counted = {"hash": 0, "verify": 0}
    original_hash, original_verify = passwords.hash_password, passwords.verify_password

    def counting_hash(password):
        counted["hash"] += 1
        return original_hash(password)

    def counting_verify(stored, password):
        counted["verify"] += 1
        return original_verify(stored, password)

    monkeypatch.setattr(passwords, "hash_password", counting_hash)
    monkeypatch.setattr(passwords, "verify_password", counting_verify)
    return counted


def _work(api, hashes, path, body):
    """(status, body, Argon2 calls, DynamoDB operations in order) of one request."""
    hashes.update(hash=0, verify=0)
    with dynamo.counting() as calls:
        answer = api.post(path, body)
    return answer.status, answer.json, dict(hashes), calls.sequence


@pytest.mark.parametrize("route, body", [
    ("/portal/signup", {"name": "Somebody", "password": NEW_PASSWORD}),
    ("/portal/password/forgot", {}),
])
def test_every_address_costs_the_same_work(api, hashes, accounts_of_every_kind, warm_settings, route, body):
    for attempt in ("first", "again"):  # again: the hourly "at most one mail" path
        work = {kind: _work(api, hashes, route, {**body, "email": email})
                for kind, email in accounts_of_every_kind.items()}
        expected = work["unknown"]
        assert expected[0] == 202 and "TransactWriteItems" in expected[3]
        for kind, seen in work.items():
            assert seen == expected, f"{route} {attempt}: {kind} differs from an unknown address"
    if route == "/portal/signup":
        assert work["unknown"][2] == {"hash": 1, "verify": 0}
    else:
        assert work["unknown"][2] == {"hash": 0, "verify": 0}


def test_equal_work_still_sends_what_each_address_should_get(api, outbox, accounts_of_every_kind):
    for email in accounts_of_every_kind.values():
        assert api.post("/portal/password/forgot", {"email": email}).status == 202
    resets = [m["to"] for m in outbox.messages("portal-password-reset")]
    assert len(outbox.messages("portal-password-reset", "active@example.com")) == 1
    assert len(outbox.messages("portal-password-reset", "unverified@example.com")) == 1
    assert outbox.messages("portal-welcome", "invited@example.com")  # the invitation again
    for nothing in ("disabled@example.com", "never_invited@example.com", "unknown@example.com"):
        assert outbox.messages("portal-password-reset", nothing) == [], resets


# --- same-site only: the public POSTs ------------------------------------------------------

SAME_SITE_POSTS = [
    ("/portal/login", {"email": "a@example.com", "password": CLIENT_PASSWORD}),
    ("/portal/signup", {"email": "a@example.com", "name": "A", "password": NEW_PASSWORD}),
    ("/portal/signup/verify", {"token": "x"}),
    ("/portal/activate", {"token": "x", "name": "A", "password": NEW_PASSWORD}),
    ("/portal/password/forgot", {"email": "a@example.com"}),
    ("/portal/password/reset", {"token": "x", "password": NEW_PASSWORD}),
    ("/portal/email/verify", {"token": "x"}),
    ("/portal/logout", None),
]


@pytest.mark.parametrize("path, body", SAME_SITE_POSTS)
def test_a_cross_site_form_post_is_415_and_json_without_the_header_is_403(api, path, body):
    import json

    form = api.request("POST", path, body=json.dumps(body or {}), same_site=False,
                       headers={"Content-Type": "text/plain", "X-Requested-With": "portico"})
    assert form.status == 415 and form.json == {"code": "unsupported_media_type", "message": form.json["message"]}
    urlencoded = api.request("POST", path, body=b"email=a%40example.com", same_site=False,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert urlencoded.status == 415 and urlencoded.code == "unsupported_media_type"
    bare = api.request("POST", path, json_body=body, same_site=False)
    assert bare.status == 403 and bare.code == "forbidden"
    assert "X-Requested-With: portico" in bare.json["message"]
    wrong = api.request("POST", path, json_body=body, headers={"X-Requested-With": "XMLHttpRequest"})
    assert wrong.status == 403


def test_a_login_from_the_page_still_works_and_the_header_is_documented(api, portal):
    portal.active_client("csrf-login@example.com")
    assert portal.login("csrf-login@example.com").status == 200  # JSON and the header, as the page sends
    document = api.get("/openapi.json").json
    for path, _ in SAME_SITE_POSTS:
        operation = document["paths"][path]["post"]
        header = [p for p in operation["parameters"] if p["name"] == "X-Requested-With"]
        assert header and header[0]["in"] == "header" and header[0]["required"] is True, path
        assert {"403", "415"} <= set(operation["responses"]), path


def test_the_portal_page_sends_the_header_and_json_on_every_write(api):
    script = api.get("/portal/static/portal.js").body.decode()
    assert 'opts.headers["X-Requested-With"] = "portico"' in script
    assert 'opts.headers["Content-Type"] = "application/json"' in script


# --- throttled guessing ----------------------------------------------------------------------

def test_wrong_current_passwords_are_throttled_with_the_login_counters(api, portal):
    from chalicelib.services import throttle

    _, token = portal.active_client("guess@example.com")
    bearer = portal.bearer(token)
    for _ in range(throttle.LOGIN.per_account):
        wrong = api.post("/portal/me/password", {"current_password": "Not-The-Password-1",
                                                 "new_password": NEW_PASSWORD}, token=bearer)
        assert wrong.status == 400 and "current_password" in wrong.json["fields"]
    refused = api.post("/portal/me/password", {"current_password": CLIENT_PASSWORD, "new_password": NEW_PASSWORD},
                       token=bearer)
    assert refused.status == 429 and int(refused.headers["retry-after"]) > 0
    # The same per-account counter as the login's: the password is not guessable there either.
    assert portal.login("guess@example.com").status == 429


def test_wrong_current_passwords_count_per_address_too(api, portal, source_ip):
    from chalicelib.services import throttle

    source_ip("203.0.113.77")
    sessions = [portal.bearer(portal.active_client(f"ip{n}@example.com")[1]) for n in range(6)]
    answers = [api.post("/portal/me/password", {"current_password": "Not-The-Password-1",
                                                "new_password": NEW_PASSWORD}, token=sessions[n % 6]).status
               for n in range(throttle.LOGIN.per_ip + 1)]
    assert answers[:throttle.LOGIN.per_ip] == [400] * throttle.LOGIN.per_ip and answers[-1] == 429


def test_reading_activation_links_by_guessing_is_throttled(api):
    from chalicelib.services import throttle

    statuses = [api.get(f"/portal/activation/guess-{n}").status for n in range(throttle.ACTIVATION.per_ip + 1)]
    assert statuses[:-1] == [410] * throttle.ACTIVATION.per_ip
    refused = api.get("/portal/activation/guess-again")
    assert refused.status == 429 and refused.headers["retry-after"]


def test_reading_a_good_activation_link_is_not_counted(api, portal):
    from chalicelib.services import throttle

    portal.create_client("reader@example.com")
    token = portal.activation_token("reader@example.com")
    for _ in range(throttle.ACTIVATION.per_account + 2):
        assert api.get(f"/portal/activation/{token}").status == 200


# --- unknown paths and methods -----------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("GET", "/nope"),
    ("POST", "/portal/not-a-route"),
    ("GET", "/agent/clients/x/y/z"),
    ("DELETE", "/portal/login"),          # a known path, a method it does not have
    ("PUT", "/agent/settings"),
    ("GET", "/portal/logout"),
])
def test_unknown_paths_and_methods_are_404_not_found(api, admin_token, method, path):
    answer = api.request(method, path, token=admin_token if path.startswith("/agent") else None)
    assert answer.status == 404, (answer.status, answer.body)
    assert answer.json == {"code": "not_found", "message": "Not found."}
    assert answer.headers["x-content-type-options"] == "nosniff"
