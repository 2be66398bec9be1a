"""Getting into an account that never got going, from the portal alone (product.md §1.6,
§1.9, §1.10): an unverified sign-up whose mail was lost, whose link expired, or whose
address someone else used; an invited client who lost the invitation. Nobody can use this
to flood a mailbox (one mail an hour per account) or to tell accounts apart (same 202)."""

from __future__ import annotations

import pytest

from tests.support import CLIENT_PASSWORD

VERIFY = "portal-signup-verify"
SECOND_PASSWORD = "Quiet-Meadow-Compass-58"


@pytest.fixture
def public_portal(api, admin_token):
    current = api.get("/agent/settings", token=admin_token).json
    answer = api.patch("/agent/settings", {"self_signup": True, "version": current["version"]}, token=admin_token)
    assert answer.status == 200, answer.json


def _early_in_an_hour(clock):
    """Move to a minute past the next full hour: "one an hour" tests must not straddle the
    hour boundary of the wall clock they run at."""
    from datetime import timedelta

    now = clock.now()
    clock.advance(seconds=(now.replace(minute=1, second=0, microsecond=0) + timedelta(hours=1) - now).total_seconds())


def _signup(api, email, name="Someone", password=CLIENT_PASSWORD):
    answer = api.post("/portal/signup", {"email": email, "name": name, "password": password})
    assert answer.status == 202, answer.json
    return answer


def _verify_links(outbox, email):
    return [m["data"]["verify_url"].split("token=", 1)[1] for m in outbox.messages(VERIFY, email)]


# --- an unverified sign-up signs up again ---------------------------------------------------

def test_signing_up_again_sends_a_fresh_verification_link_and_kills_the_older_one(api, outbox, clock, public_portal):
    _early_in_an_hour(clock)
    first = _signup(api, "lost@example.com")
    again = _signup(api, "lost@example.com")
    assert again.json == first.json  # no enumeration
    old, new = _verify_links(outbox, "lost@example.com")
    assert old != new
    assert api.post("/portal/signup/verify", {"token": old}).code == "token_expired"
    verified = api.post("/portal/signup/verify", {"token": new})
    assert verified.status == 200 and verified.json["user"]["status"] == "active"


def test_at_most_one_fresh_verification_mail_an_hour_and_its_link_keeps_working(api, outbox, clock, public_portal):
    _early_in_an_hour(clock)
    _signup(api, "flood@example.com")
    for _ in range(4):
        _signup(api, "flood@example.com")
    assert len(outbox.messages(VERIFY, "flood@example.com")) == 2  # the sign-up's own and one more
    sent = _verify_links(outbox, "flood@example.com")[-1]
    clock.advance(hours=1)
    _signup(api, "flood@example.com")
    assert len(outbox.messages(VERIFY, "flood@example.com")) == 3  # a new hour, a new mail
    clock.advance(minutes=5)
    for _ in range(3):
        _signup(api, "flood@example.com")
    assert len(outbox.messages(VERIFY, "flood@example.com")) == 3
    latest = _verify_links(outbox, "flood@example.com")[-1]
    assert api.post("/portal/signup/verify", {"token": sent}).code == "token_expired"
    # Repeats after this hour's mail changed nothing: the link in that mail still works.
    assert api.post("/portal/signup/verify", {"token": latest}).status == 200


def test_the_sign_up_whose_link_is_followed_sets_the_password_and_name(api, outbox, portal, public_portal):
    _signup(api, "squatted@example.com", name="Squatter", password=CLIENT_PASSWORD)
    _signup(api, "squatted@example.com", name="Real Owner", password=SECOND_PASSWORD)
    _, owners_link = _verify_links(outbox, "squatted@example.com")
    verified = api.post("/portal/signup/verify", {"token": owners_link})
    assert verified.status == 200 and verified.json["user"]["name"] == "Real Owner"
    assert portal.login("squatted@example.com", CLIENT_PASSWORD).status == 401
    assert portal.login("squatted@example.com", SECOND_PASSWORD).status == 200


def test_the_first_sign_ups_link_keeps_the_first_password_while_it_is_the_newest(api, outbox, portal, public_portal):
    _signup(api, "plain@example.com", name="Plain", password=SECOND_PASSWORD)
    (link,) = _verify_links(outbox, "plain@example.com")
    assert api.post("/portal/signup/verify", {"token": link}).json["user"]["name"] == "Plain"
    assert portal.login("plain@example.com", SECOND_PASSWORD).status == 200


def test_a_verified_account_signing_up_again_is_told_it_exists_not_sent_a_link(api, outbox, public_portal):
    _signup(api, "done@example.com")
    api.post("/portal/signup/verify", {"token": _verify_links(outbox, "done@example.com")[0]})
    _signup(api, "done@example.com")
    assert len(outbox.messages(VERIFY, "done@example.com")) == 1
    assert len(outbox.messages("portal-signup-existing", "done@example.com")) == 1


# --- forgot-password for an unverified sign-up ---------------------------------------------

def test_forgot_password_of_an_unverified_sign_up_sends_a_reset_that_also_verifies(api, outbox, portal,
                                                                                   public_portal):
    _signup(api, "unverified@example.com", password=CLIENT_PASSWORD)
    (verify_link,) = _verify_links(outbox, "unverified@example.com")
    known = api.post("/portal/password/forgot", {"email": "unverified@example.com"})
    unknown = api.post("/portal/password/forgot", {"email": "nobody@example.com"})
    assert known.status == unknown.status == 202 and known.json == unknown.json
    token = outbox.link_token("portal-password-reset", "unverified@example.com", "reset_url")
    assert api.post("/portal/password/reset", {"token": token, "password": SECOND_PASSWORD}).status == 204

    assert portal.login("unverified@example.com", SECOND_PASSWORD).status == 200  # verified, not 403
    assert portal.login("unverified@example.com", CLIENT_PASSWORD).status == 401
    client = api.get("/agent/clients?email=unverified@example.com", token=portal.agent_token).json["items"][0]
    assert client["status"] == "active" and client["activated_at"]
    # The verification link died with the reset: it says "already used, log in".
    assert api.post("/portal/signup/verify", {"token": verify_link}).code == "token_used"


def test_a_reset_of_an_active_account_keeps_its_activation_time(api, outbox, portal, clock):
    portal.active_client("keeps@example.com")
    activated = api.get("/agent/clients?email=keeps@example.com", token=portal.agent_token).json["items"][0]
    clock.advance(hours=2)
    api.post("/portal/password/forgot", {"email": "keeps@example.com"})
    token = outbox.link_token("portal-password-reset", "keeps@example.com", "reset_url")
    assert api.post("/portal/password/reset", {"token": token, "password": SECOND_PASSWORD}).status == 204
    after = api.get("/agent/clients?email=keeps@example.com", token=portal.agent_token).json["items"][0]
    assert after["status"] == "active" and after["activated_at"] == activated["activated_at"]


def test_a_never_invited_client_gets_nothing_from_sign_up_or_forgot_password(api, outbox, portal, public_portal):
    portal.create_client("quiet@example.com", invite=False)
    _signup(api, "quiet@example.com")
    assert api.post("/portal/password/forgot", {"email": "quiet@example.com"}).status == 202
    assert outbox.messages(to="quiet@example.com") == []
    client = api.get("/agent/clients?email=quiet@example.com", token=portal.agent_token).json["items"][0]
    assert client["status"] == "inactive"


# --- an invited client asks for the invitation again -----------------------------------------

WELCOME = "portal-welcome"


def _invitation_state(api, portal, client_id):
    from chalicelib.services.client_store import find_item

    client = api.get(f"/agent/clients/{client_id}", token=portal.agent_token).json
    item = find_item(client_id)
    return {"invited_at": client["invited_at"], "reminders": client["reminders"], "invited_by": item.invited_by,
            "next_reminder_at": item.next_reminder_at}


def test_an_invited_client_asking_from_the_portal_gets_the_invitation_once_an_hour(api, outbox, portal, clock,
                                                                                    public_portal):
    _early_in_an_hour(clock)
    portal.create_client("asks@example.com")
    agents_link = portal.activation_token("asks@example.com")
    for _ in range(3):
        assert api.post("/portal/password/forgot", {"email": "asks@example.com"}).status == 202
        _signup(api, "asks@example.com")
    assert len(outbox.messages(WELCOME, "asks@example.com")) == 2  # the agent's and one more
    fresh = portal.activation_token("asks@example.com")
    assert api.get(f"/portal/activation/{agents_link}").code == "token_expired"
    assert api.get(f"/portal/activation/{fresh}").status == 200  # repeats in the hour kept it alive
    clock.advance(hours=1)
    api.post("/portal/password/forgot", {"email": "asks@example.com"})
    assert len(outbox.messages(WELCOME, "asks@example.com")) == 3
    assert portal.activate("asks@example.com").status == 200


def test_asking_from_the_portal_does_not_restart_the_invitation_or_its_reminders(api, outbox, portal, clock,
                                                                                 public_portal):
    _early_in_an_hour(clock)
    client = portal.create_client("plan@example.com")
    before = _invitation_state(api, portal, client["id"])
    clock.advance(hours=3)
    api.post("/portal/password/forgot", {"email": "plan@example.com"})
    _signup(api, "plan@example.com")
    assert len(outbox.messages(WELCOME, "plan@example.com")) == 2
    assert _invitation_state(api, portal, client["id"]) == before
    assert before["invited_by"] and before["next_reminder_at"]


def test_an_agents_resend_still_restarts_the_invitation(api, outbox, portal, clock):
    client = portal.create_client("again@example.com")
    clock.advance(hours=3)
    api.post("/portal/password/forgot", {"email": "again@example.com"})
    resent = api.post(f"/agent/clients/{client['id']}/invite", token=portal.agent_token)
    assert resent.status == 200 and resent.json["invited_at"] > client["invited_at"]
    assert len(outbox.messages(WELCOME, "again@example.com")) == 3
