"""Agents manage client accounts (product.md §1-2, api.md /agent/clients)."""

from __future__ import annotations

import threading

import pytest


def test_a_client_created_without_invitation_stays_inactive_and_gets_no_email(portal, outbox):
    client = portal.create_client("Quiet@Example.com", invite=False, name="Quiet One")
    assert client["status"] == "inactive"
    assert client["email"] == "Quiet@Example.com"  # stored as given
    assert outbox.messages(to="quiet@example.com") == []


def test_a_client_created_with_invitation_is_invited_and_gets_the_welcome_email(portal, outbox):
    client = portal.create_client("ada@example.com", name="Ada")
    assert client["status"] == "invited"
    assert client["invited_at"]
    mail = outbox.last("portal-welcome", "ada@example.com")
    assert mail["data"]["activation_url"].startswith("http://portal.test/portal/activate?token=")
    assert mail["data"]["name"] == "Ada"
    assert len(portal.activation_token("ada@example.com")) >= 22  # ≥128 random bits, URL-safe


def test_the_email_is_unique_whatever_its_case(portal, api):
    portal.create_client("dup@example.com", invite=False)
    answer = api.post("/agent/clients", {"email": "DUP@example.com"}, token=portal.agent_token)
    assert answer.status == 409 and answer.code == "conflict"


def test_two_concurrent_creates_with_the_same_email_cannot_both_win(api):
    from chalicelib.errors import Conflict
    from chalicelib.services import clients

    outcomes: list[str] = []

    def create() -> None:
        try:
            clients.create_client("race@example.com")
            outcomes.append("created")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "created"]
    items, _ = clients.list_clients(limit=10, start_key=None, email_prefix="race@")
    assert len(items) == 1


def test_writing_clients_needs_manage_clients_but_any_agent_reads(api, agent_token, portal):
    client = portal.create_client("someone@example.com", invite=False)
    assert api.post("/agent/clients", {"email": "x@example.com"}, token=agent_token).status == 403
    assert api.patch(f"/agent/clients/{client['id']}", {"name": "X"}, token=agent_token).status == 403
    assert api.delete(f"/agent/clients/{client['id']}", token=agent_token).status == 403
    assert api.post(f"/agent/clients/{client['id']}/invite", token=agent_token).status == 403
    assert api.get(f"/agent/clients/{client['id']}", token=agent_token).status == 200
    assert api.get("/agent/clients", token=agent_token).status == 200


def test_admins_may_manage_clients(api, admin_token):
    assert api.post("/agent/clients", {"email": "by-admin@example.com"}, token=admin_token).status == 201


@pytest.mark.parametrize("body, field", [
    ({"email": "not-an-email"}, "email"),
    ({"email": "a@example.com", "role": "owner"}, "role"),
    ({"email": "a@example.com", "send_invitation": "yes"}, "send_invitation"),
    ({"email": "a@example.com", "organization_id": "nope"}, "organization_id"),
    ({"email": "a@example.com", "surprise": 1}, "surprise"),
])
def test_bad_client_input_is_a_400_naming_the_field(api, portal, body, field):
    answer = api.post("/agent/clients", body, token=portal.agent_token)
    assert answer.status == 400 and answer.code == "validation_error"
    assert field in answer.json["fields"]


@pytest.mark.parametrize("email", [
    "a@b.co\u0000x", "a\u0007b@example.com", "a b@example.com", "a@exa mple.com", "a@example.com\tx",
    "\u00e4@\u00fc.de", "jos\u00e9@example.com", "a@\u00fc.de", "a@b\u00a0c.de",
])
def test_emails_ses_cannot_send_to_are_refused(api, portal, email):
    """Control characters and whitespace inside an address, or anything not ASCII: SES v1
    could never deliver the invitation, so the address is refused up front."""
    answer = api.post("/agent/clients", {"email": email, "send_invitation": True}, token=portal.agent_token)
    assert answer.status == 400 and answer.code == "validation_error" and "email" in answer.json["fields"]
    signup = api.post("/portal/signup", {"email": email, "name": "N", "password": "Blue-Harbour-Lantern-91"})
    assert signup.status == 400 and "email" in signup.json["fields"]


def test_surrounding_whitespace_of_an_email_is_dropped(api, portal):
    answer = api.post("/agent/clients", {"email": "  spaced@example.com \n"}, token=portal.agent_token)
    assert answer.status == 201 and answer.json["email"] == "spaced@example.com"


def test_unknown_clients_are_404(api, portal):
    for path in ("/agent/clients/01HZZZZZZZZZZZZZZZZZZZZZZZ", "/agent/clients/email%23a@b.c"):
        assert api.get(path, token=portal.agent_token).code == "not_found"


def test_agents_list_clients_by_organization_status_and_email(api, portal, admin_token):
    org = api.post("/agent/organizations", {"name": "Acme"}, token=admin_token).json
    portal.create_client("b@acme.test", organization_id=org["id"])
    portal.create_client("a@acme.test", invite=False, organization_id=org["id"])
    portal.create_client("c@other.test", invite=False)

    def emails(query: str) -> list[str]:
        answer = api.get(f"/agent/clients{query}", token=portal.agent_token)
        assert answer.status == 200, answer.json
        return [item["email"] for item in answer.json["items"]]

    assert emails("") == ["a@acme.test", "b@acme.test", "c@other.test"]
    assert emails(f"?organization_id={org['id']}") == ["a@acme.test", "b@acme.test"]
    assert emails(f"?organization_id={org['id']}&status=invited") == ["b@acme.test"]
    assert emails("?status=inactive") == ["a@acme.test", "c@other.test"]
    assert emails("?email=C@Other.test") == ["c@other.test"]
    assert emails("?q=a@") == ["a@acme.test"]


def test_the_client_list_pages_with_cursors(api, portal):
    for n in range(5):
        portal.create_client(f"p{n}@example.com", invite=False)
    seen, cursor = [], None
    while True:
        answer = api.get("/agent/clients?limit=2" + (f"&cursor={cursor}" if cursor else ""), token=portal.agent_token)
        seen += [item["email"] for item in answer.json["items"]]
        cursor = answer.json["next_cursor"]
        if not cursor:
            break
    assert seen == [f"p{n}@example.com" for n in range(5)]
    assert api.get("/agent/clients?cursor=forged", token=portal.agent_token).code == "validation_error"


def test_agents_edit_contact_details_organization_and_role(api, portal, admin_token):
    org = api.post("/agent/organizations", {"name": "Globex"}, token=admin_token).json
    client = portal.create_client("edit@example.com", invite=False)
    answer = api.patch(f"/agent/clients/{client['id']}", {"name": "Edited", "phone": "+41 44 000 00 00",
                                                         "organization_id": org["id"], "role": "client_admin"},
                       token=portal.agent_token)
    assert answer.status == 200
    assert {k: answer.json[k] for k in ("name", "phone", "organization_id", "role")} == {
        "name": "Edited", "phone": "+41 44 000 00 00", "organization_id": org["id"], "role": "client_admin"}
    unlinked = api.patch(f"/agent/clients/{client['id']}", {"organization_id": None}, token=portal.agent_token)
    assert unlinked.json["organization_id"] is None


def test_a_disabled_client_cannot_log_in_and_its_sessions_end_at_once(api, portal):
    client, session = portal.active_client("gone@example.com")
    assert api.get("/portal/me", token=portal.bearer(session)).status == 200
    disabled = api.patch(f"/agent/clients/{client['id']}", {"disabled": True}, token=portal.agent_token)
    assert disabled.json["status"] == "disabled"
    assert api.get("/portal/me", token=portal.bearer(session)).status == 401
    refused = portal.login("gone@example.com")
    assert refused.status == 401 and refused.json == {
        "code": "invalid_credentials", "message": "This account has been deactivated. Contact your helpdesk."}

    enabled = api.patch(f"/agent/clients/{client['id']}", {"disabled": False}, token=portal.agent_token)
    assert enabled.json["status"] == "active"
    assert portal.login("gone@example.com").status == 200


def test_removing_a_client_deletes_the_account_and_frees_the_email(api, portal):
    client, session = portal.active_client("leaver@example.com")
    assert api.delete(f"/agent/clients/{client['id']}", token=portal.agent_token).status == 204
    assert api.get(f"/agent/clients/{client['id']}", token=portal.agent_token).status == 404
    assert api.get("/portal/me", token=portal.bearer(session)).status == 401
    assert portal.login("leaver@example.com").status == 401
    assert api.post("/agent/clients", {"email": "leaver@example.com"}, token=portal.agent_token).status == 201


def test_resending_the_invitation_kills_the_old_link(api, portal, outbox):
    client = portal.create_client("twice@example.com")
    old = portal.activation_token("twice@example.com")
    answer = api.post(f"/agent/clients/{client['id']}/invite", token=portal.agent_token)
    assert answer.status == 200 and answer.json["status"] == "invited"
    assert len(outbox.messages("portal-welcome", "twice@example.com")) == 2
    new = portal.activation_token("twice@example.com")
    assert new != old
    assert api.get(f"/portal/activation/{old}").code == "token_expired"
    assert api.get(f"/portal/activation/{new}").json == {"email": "twice@example.com", "status": "invited",
                                                         "name": None}


def test_an_inactive_client_can_be_invited_later_but_an_active_one_not(api, portal):
    client = portal.create_client("later@example.com", invite=False)
    assert api.post(f"/agent/clients/{client['id']}/invite", token=portal.agent_token).json["status"] == "invited"
    active, _ = portal.active_client("done@example.com")
    assert api.post(f"/agent/clients/{active['id']}/invite", token=portal.agent_token).code == "conflict"


def test_only_active_clients_receive_notifications():
    from chalicelib.identity import receives_notifications

    assert [s for s in ("inactive", "invited", "active", "disabled") if receives_notifications(s)] == ["active"]


def test_a_client_list_cursor_belongs_to_its_filters(api, portal):
    for n in range(3):
        created = api.post("/agent/clients", {"email": f"c{n}@acme.test", "send_invitation": False},
                           token=portal.agent_token).json
    status = created["status"]
    other_status = "disabled" if status != "disabled" else "active"
    cursor = api.get(f"/agent/clients?limit=1&status={status}", token=portal.agent_token).json["next_cursor"]
    assert cursor
    assert api.get(f"/agent/clients?status={status}&cursor={cursor}", token=portal.agent_token).status == 200
    for other in ("", f"status={other_status}&", f"q=c&status={status}&"):
        answer = api.get(f"/agent/clients?{other}cursor={cursor}", token=portal.agent_token)
        assert answer.status == 400 and answer.code == "validation_error", other
