"""An agent changes a client's email (product.md §12): confirmed by a link to the new address,
the old one told; until then nothing changes."""

from __future__ import annotations

from tests.support import CLIENT_PASSWORD


def test_a_new_email_applies_only_once_its_link_is_followed(api, portal, outbox):
    client, _ = portal.active_client("old@acme.test", name="Olga Old")
    changed = api.patch(f"/agent/clients/{client['id']}", {"email": "New@Acme.test"}, token=portal.agent_token)
    assert changed.status == 200 and changed.json["email"] == "old@acme.test"
    assert changed.json["pending_email"] == "New@Acme.test"
    told = outbox.last("client-email-changing", "old@acme.test")["data"]
    assert "new@acme.test" not in str(told).lower() and told["new_email_masked"].endswith("@Acme.test")
    assert portal.login("old@acme.test").status == 200  # nothing changed yet
    assert portal.login("New@Acme.test").status == 401

    token = outbox.link_token("client-email-verify", "New@Acme.test", "verify_url")
    confirmed = api.post("/portal/email/verify", {"token": token})
    assert confirmed.status == 200 and confirmed.json == {"email": "New@Acme.test"}
    assert api.post("/portal/email/verify", {"token": token}).code == "token_used"
    assert portal.login("new@acme.test").status == 200
    assert portal.login("old@acme.test").status == 401
    after = api.get(f"/agent/clients/{client['id']}", token=portal.agent_token).json
    assert after["email"] == "New@Acme.test" and after["pending_email"] is None
    assert [c["id"] for c in api.get("/agent/clients?q=new@", token=portal.agent_token).json["items"]] == [
        client["id"]]
    assert api.get("/agent/clients?q=old@", token=portal.agent_token).json["items"] == []
    # the old address is free again
    assert api.post("/agent/clients", {"email": "old@acme.test"}, token=portal.agent_token).status == 201


def test_an_address_another_client_has_is_refused_then_or_at_confirmation(api, portal, outbox):
    first, _ = portal.active_client("a@acme.test")
    second, _ = portal.active_client("b@acme.test")
    taken = api.patch(f"/agent/clients/{first['id']}", {"email": "B@acme.test"}, token=portal.agent_token)
    assert taken.status == 409
    api.patch(f"/agent/clients/{first['id']}", {"email": "c@acme.test"}, token=portal.agent_token)
    token = outbox.link_token("client-email-verify", "c@acme.test", "verify_url")
    api.patch(f"/agent/clients/{second['id']}", {"email": "c@acme.test"}, token=portal.agent_token)
    api.post("/portal/email/verify", {"token": outbox.link_token("client-email-verify", "c@acme.test",
                                                                   "verify_url")})
    assert api.post("/portal/email/verify", {"token": token}).status == 409  # the other got there first
    assert portal.login("a@acme.test", CLIENT_PASSWORD).status == 200
