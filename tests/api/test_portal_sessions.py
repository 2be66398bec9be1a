"""Activation, login, sessions and passwords of clients (product.md §1.3, §1.7, §1.9, §1.10)."""

from __future__ import annotations

from tests.support import CLIENT_PASSWORD


def _set_setting(api, admin_token, **values):
    current = api.get("/agent/settings", token=admin_token).json
    answer = api.patch("/agent/settings", {**values, "version": current["version"]}, token=admin_token)
    assert answer.status == 200, answer.json


def test_activation_sets_details_and_password_and_logs_the_client_in(api, portal):
    portal.create_client("new@example.com")
    token = portal.activation_token("new@example.com")
    assert api.get(f"/portal/activation/{token}").json["status"] == "invited"
    answer = api.post("/portal/activate", {"token": token, "name": "New Client", "phone": "+1 555 0100",
                                           "password": CLIENT_PASSWORD})
    assert answer.status == 200
    assert answer.json["user"]["status"] == "active" and answer.json["user"]["name"] == "New Client"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("portico_session=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    me = api.get("/portal/me", token=portal.bearer(answer.json["token"]))
    assert me.json["phone"] == "+1 555 0100"


def test_a_used_activation_link_says_already_activated(api, portal):
    portal.create_client("once@example.com")
    token = portal.activation_token("once@example.com")
    assert portal.activate("once@example.com").status == 200
    assert api.get(f"/portal/activation/{token}").code == "token_used"
    again = api.post("/portal/activate", {"token": token, "name": "X", "password": CLIENT_PASSWORD})
    assert again.status == 410 and again.code == "token_used"


def test_an_older_link_of_an_activated_client_also_says_already_activated(api, portal):
    client = portal.create_client("older@example.com")
    old = portal.activation_token("older@example.com")
    api.post(f"/agent/clients/{client['id']}/invite", token=portal.agent_token)
    assert portal.activate("older@example.com").status == 200
    assert api.get(f"/portal/activation/{old}").code == "token_used"


def test_an_activation_link_expires_after_the_configured_time(api, portal, clock, admin_token):
    _set_setting(api, admin_token, activation_ttl_hours=2)
    portal.create_client("late@example.com")
    token = portal.activation_token("late@example.com")
    clock.advance(hours=2, minutes=1)
    assert api.get(f"/portal/activation/{token}").code == "token_expired"
    answer = api.post("/portal/activate", {"token": token, "name": "Late", "password": CLIENT_PASSWORD})
    assert answer.status == 410 and answer.code == "token_expired"


def test_garbage_activation_tokens_are_expired_links_not_errors(api):
    for token in ("x", "a" * 300, "token%23abc"):
        assert api.get(f"/portal/activation/{token}").status == 410


def test_passwords_must_be_long_uncommon_and_not_the_email(api, portal):
    portal.create_client("pw@example.com")
    for password in ("short-1A", "password123", "qwertyuiop1", "pw@example.com"):
        answer = portal.activate("pw@example.com", password=password)
        assert answer.status == 400 and "password" in answer.json["fields"], password
    assert portal.activate("pw@example.com").status == 200


def test_passwords_are_stored_as_argon2id_hashes(portal):
    from chalicelib.services.client_store import find_by_email

    portal.active_client("hash@example.com")
    stored = find_by_email("hash@example.com").password_hash
    assert stored.startswith("$argon2id$") and CLIENT_PASSWORD not in stored


def test_login_answers_unknown_email_and_wrong_password_the_same_way(portal):
    portal.active_client("known@example.com")
    portal.create_client("invited@example.com")  # invited, not yet active
    wrong = portal.login("known@example.com", "Wrong-Password-123")
    unknown = portal.login("nobody@example.com", "Wrong-Password-123")
    invited = portal.login("invited@example.com", "Wrong-Password-123")
    assert wrong.status == unknown.status == invited.status == 401
    # The whole body, not only the code: any extra field would tell the accounts apart.
    assert wrong.json == unknown.json == invited.json == {"code": "invalid_credentials",
                                                          "message": "The email or password is not correct."}


def test_a_password_hashed_with_older_parameters_is_rehashed_at_the_next_login(portal):
    from argon2 import PasswordHasher

    from chalicelib.services import passwords
    from chalicelib.services.client_store import find_by_email

    portal.active_client("legacy@example.com")
    item = find_by_email("legacy@example.com")
    old_hash = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1).hash(CLIENT_PASSWORD)
    item.update(actions=[type(item).password_hash.set(old_hash)])
    assert passwords.needs_rehash(old_hash)
    assert portal.login("legacy@example.com", "Wrong-Password-123").status == 401
    assert find_by_email("legacy@example.com").password_hash == old_hash  # a failed login changes nothing
    assert portal.login("legacy@example.com").status == 200
    rehashed = find_by_email("legacy@example.com").password_hash
    assert rehashed != old_hash and rehashed.startswith("$argon2id$") and not passwords.needs_rehash(rehashed)
    assert portal.login("legacy@example.com").status == 200  # the same password still works


def test_login_is_case_insensitive_on_the_email_and_returns_a_session(api, portal):
    portal.active_client("Case@Example.com")
    answer = portal.login("case@EXAMPLE.com")
    assert answer.status == 200 and answer.json["expires_at"]
    assert api.get("/portal/me", headers={"Cookie": f"portico_session={answer.json['token']}"}).status == 200


def test_an_invited_client_cannot_log_in_before_activating(portal):
    portal.create_client("pending@example.com")
    assert portal.login("pending@example.com").code == "invalid_credentials"


def test_portal_routes_need_a_session(api):
    assert api.get("/portal/me").code == "unauthorized"
    assert api.get("/portal/me", token="Bearer nope.nope").code == "unauthorized"
    assert api.get("/portal/me", headers={"Cookie": "portico_session=garbage"}).code == "unauthorized"


def test_cookie_sessions_must_send_the_csrf_header_on_writes(api, portal):
    _, session = portal.active_client("csrf@example.com")
    cookie = {"Cookie": f"portico_session={session}"}
    assert api.patch("/portal/me", {"name": "X"}, headers=cookie).status == 403
    assert api.patch("/portal/me", {"name": "X"}, headers={**cookie, "X-Requested-With": "portico"}).status == 200


def test_logout_ends_only_that_session(api, portal):
    portal.active_client("out@example.com")
    first = portal.login("out@example.com").json["token"]
    second = portal.login("out@example.com").json["token"]
    answer = api.post("/portal/logout", token=portal.bearer(first))
    assert answer.status == 204 and "Max-Age=0" in answer.headers["set-cookie"]
    assert api.get("/portal/me", token=portal.bearer(first)).status == 401
    assert api.get("/portal/me", token=portal.bearer(second)).status == 200


def test_a_session_expires(api, portal, clock):
    _, session = portal.active_client("tired@example.com")
    clock.advance(hours=12, seconds=1)
    assert api.get("/portal/me", token=portal.bearer(session)).status == 401


def test_clients_edit_their_profile(api, portal):
    _, session = portal.active_client("me@example.com")
    answer = api.patch("/portal/me", {"name": "Renamed", "phone": "+44 20 0000"}, token=portal.bearer(session))
    assert answer.status == 200 and answer.json["name"] == "Renamed" and answer.json["phone"] == "+44 20 0000"
    assert api.patch("/portal/me", {"email": "x@y.z"}, token=portal.bearer(session)).status == 400


def test_clients_may_clear_their_phone_but_not_remove_their_name(api, portal):
    _, session = portal.active_client("named@example.com")
    api.patch("/portal/me", {"name": "Named", "phone": "+44 20 0000"}, token=portal.bearer(session))
    for name in (None, "", "   "):
        answer = api.patch("/portal/me", {"name": name}, token=portal.bearer(session))
        assert answer.status == 400 and answer.code == "validation_error" and "name" in answer.json["fields"], name
    cleared = api.patch("/portal/me", {"phone": None}, token=portal.bearer(session))
    assert cleared.status == 200 and cleared.json["phone"] is None and cleared.json["name"] == "Named"
    assert api.get("/portal/me", token=portal.bearer(session)).json["name"] == "Named"


def test_changing_the_password_ends_the_other_sessions_but_not_this_one(api, portal):
    _, session = portal.active_client("change@example.com")
    other = portal.login("change@example.com").json["token"]
    wrong = api.post("/portal/me/password", {"current_password": "nope-nope-nope", "new_password": "Another-Strong-77"},
                     token=portal.bearer(session))
    assert wrong.status == 400
    answer = api.post("/portal/me/password", {"current_password": CLIENT_PASSWORD,
                                              "new_password": "Another-Strong-77"}, token=portal.bearer(session))
    assert answer.status == 204
    assert api.get("/portal/me", token=portal.bearer(session)).status == 200
    assert api.get("/portal/me", token=portal.bearer(other)).status == 401
    assert portal.login("change@example.com").status == 401
    assert portal.login("change@example.com", "Another-Strong-77").status == 200


def test_forgot_password_answers_the_same_and_mails_only_existing_accounts(api, portal, outbox):
    portal.active_client("forgot@example.com")
    known = api.post("/portal/password/forgot", {"email": "FORGOT@example.com"})
    unknown = api.post("/portal/password/forgot", {"email": "ghost@example.com"})
    assert known.status == unknown.status == 202 and known.json == unknown.json
    assert outbox.messages("portal-password-reset", "forgot@example.com")
    assert outbox.messages(to="ghost@example.com") == []


def test_a_password_reset_sets_the_password_once_and_ends_every_session(api, portal, outbox):
    _, session = portal.active_client("reset@example.com")
    api.post("/portal/password/forgot", {"email": "reset@example.com"})
    token = outbox.link_token("portal-password-reset", "reset@example.com", "reset_url")
    assert api.post("/portal/password/reset", {"token": token, "password": "123"}).status == 400
    assert api.post("/portal/password/reset", {"token": token, "password": "Fresh-Start-2048"}).status == 204
    assert api.get("/portal/me", token=portal.bearer(session)).status == 401
    assert portal.login("reset@example.com", "Fresh-Start-2048").status == 200
    assert api.post("/portal/password/reset", {"token": token, "password": "Fresh-Start-4096"}).code == "token_used"


def test_a_reset_link_expires_after_an_hour(api, portal, outbox, clock):
    portal.active_client("hour@example.com")
    api.post("/portal/password/forgot", {"email": "hour@example.com"})
    token = outbox.link_token("portal-password-reset", "hour@example.com", "reset_url")
    clock.advance(minutes=61)
    assert api.post("/portal/password/reset", {"token": token, "password": "Fresh-Start-2048"}).code == "token_expired"


def test_forgot_password_of_an_invited_client_sends_the_invitation_again(api, portal, outbox):
    portal.create_client("stillinvited@example.com")
    api.post("/portal/password/forgot", {"email": "stillinvited@example.com"})
    assert len(outbox.messages("portal-welcome", "stillinvited@example.com")) == 2


def test_private_portal_refuses_sign_up(api):
    answer = api.post("/portal/signup", {"email": "s@example.com", "name": "S", "password": CLIENT_PASSWORD})
    assert answer.status == 403 and answer.code == "signup_disabled"


def test_public_portal_sign_up_needs_email_verification_before_login(api, admin_token, outbox, portal):
    _set_setting(api, admin_token, self_signup=True)
    answer = api.post("/portal/signup", {"email": "self@example.com", "name": "Self", "password": CLIENT_PASSWORD})
    assert answer.status == 202
    unverified = portal.login("self@example.com")
    assert unverified.status == 401 and unverified.json == {
        "code": "invalid_credentials", "message": "Confirm your email address first: follow the link we sent you."}
    token = outbox.link_token("portal-signup-verify", "self@example.com", "verify_url")
    verified = api.post("/portal/signup/verify", {"token": token})
    assert verified.status == 200 and verified.json["user"]["status"] == "active"
    assert portal.login("self@example.com").status == 200
    assert api.post("/portal/signup/verify", {"token": token}).code == "token_used"


def test_sign_up_with_a_taken_email_answers_the_same_and_mails_the_owner(api, admin_token, outbox, portal):
    _set_setting(api, admin_token, self_signup=True)
    portal.active_client("taken@example.com")
    new = api.post("/portal/signup", {"email": "fresh@example.com", "name": "F", "password": CLIENT_PASSWORD})
    taken = api.post("/portal/signup", {"email": "Taken@example.com", "name": "T", "password": "Other-Secret-555"})
    assert new.status == taken.status == 202 and new.json == taken.json
    assert outbox.messages("portal-signup-existing", "taken@example.com")
    assert portal.login("taken@example.com").status == 200  # the account is untouched
    clients = api.get("/agent/clients?q=taken", token=portal.agent_token).json["items"]
    assert len(clients) == 1


def test_the_page_asks_whether_it_has_a_session_without_an_error(api, portal):
    """The page's first load: logged out is a 200 answer, not a 401 in the browser's console."""
    for headers in ({}, {"Cookie": "portico_session=garbage"}, {"Authorization": "Bearer nope.nope"}):
        answer = api.get("/portal/session", headers=headers)
        assert (answer.status, answer.json) == (200, {"authenticated": False, "user": None})
        assert answer.headers["cache-control"] == "no-store"
    _, session = portal.active_client("here@example.com")
    answer = api.get("/portal/session", headers={"Cookie": f"portico_session={session}"})
    assert answer.status == 200 and answer.json["authenticated"] is True
    me = api.get("/portal/me", token=portal.bearer(session)).json
    assert answer.json["user"] == me  # the same profile /portal/me answers, in one read
