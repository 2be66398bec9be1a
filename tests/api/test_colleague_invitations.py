"""A client admin invites colleagues (issue 13, item 4): the same 202 for every valid address,
nothing about other organizations shows afterwards, and invitations are bounded an hour."""

from __future__ import annotations

import pytest

MOVE_REQUEST = "colleague-move-request"


@pytest.fixture
def orgs(api, admin_token, portal):
    acme = api.post("/agent/organizations", {"name": "Acme"}, token=admin_token).json
    initech = api.post("/agent/organizations", {"name": "Initech"}, token=admin_token).json
    _, boss = portal.active_client("boss@acme.test", organization_id=acme["id"], role="client_admin")
    portal.active_client("worker@acme.test", organization_id=acme["id"])
    portal.create_client("pending@acme.test", organization_id=acme["id"])
    peter, _ = portal.active_client("peter@initech.test", organization_id=initech["id"])
    portal.active_client("loner@example.com")  # no organization
    return {"acme": acme["id"], "initech": initech["id"], "boss": portal.bearer(boss), "peter_id": peter["id"]}


def _invite(api, orgs, email, token=None):
    return api.post("/portal/organization/clients", {"email": email, "name": "Someone"}, token=token or orgs["boss"])


def _listed(api, orgs):
    return {c["email"]: c for c in api.get("/portal/organization/clients", token=orgs["boss"]).json["items"]}


def test_every_valid_address_gets_the_same_answer(api, orgs):
    answers = [_invite(api, orgs, email) for email in (
        "brand-new@acme.test", "worker@acme.test", "pending@acme.test", "peter@initech.test", "loner@example.com")]
    assert {a.status for a in answers} == {202}
    assert len({a.body for a in answers}) == 1


def test_the_list_shows_an_invitation_elsewhere_as_pending_like_a_new_one(api, admin_token, orgs, outbox):
    assert _invite(api, orgs, "brand-new@acme.test").status == 202
    assert _invite(api, orgs, "peter@initech.test").status == 202
    listed = _listed(api, orgs)
    new, elsewhere = listed["brand-new@acme.test"], listed["peter@initech.test"]
    assert set(new) == set(elsewhere)
    for colleague in (new, elsewhere):
        assert colleague["status"] == "invited" and colleague["role"] == "client_user"
        assert colleague["organization_id"] == orgs["acme"] and colleague["last_login_at"] is None
    assert elsewhere["id"] != orgs["peter_id"] and orgs["initech"] not in str(listed)
    # Peter is asked, and stays where he is until the helpdesk moves him.
    mail = outbox.last(MOVE_REQUEST, "peter@initech.test")
    assert mail["data"]["organization_name"] == "Acme"
    assert api.get(f"/agent/clients/{orgs['peter_id']}", token=admin_token).json["organization_id"] == orgs["initech"]
    # The agents' lists hold clients only.
    agents_view = api.get(f"/agent/clients?organization_id={orgs['acme']}", token=admin_token).json["items"]
    assert "peter@initech.test" not in [c["email"] for c in agents_view]
    assert "brand-new@acme.test" in [c["email"] for c in agents_view]


def test_asking_again_adds_no_second_entry_nor_mail(api, orgs, outbox):
    for _ in range(3):
        assert _invite(api, orgs, "Peter@Initech.test").status == 202
    assert [c for c in _listed(api, orgs) if c.lower() == "peter@initech.test"] == ["peter@initech.test"]
    assert len(outbox.messages(MOVE_REQUEST, "peter@initech.test")) == 1


def test_withdrawing_an_invitation_elsewhere_looks_like_deactivating_a_new_one(api, orgs):
    _invite(api, orgs, "brand-new@acme.test")
    _invite(api, orgs, "peter@initech.test")
    listed = _listed(api, orgs)
    answers = [api.post(f"/portal/organization/clients/{listed[email]['id']}/disable", token=orgs["boss"])
               for email in ("brand-new@acme.test", "peter@initech.test")]
    assert [a.status for a in answers] == [200, 200]
    assert [a.json["status"] for a in answers] == ["disabled", "disabled"]
    assert set(answers[0].json) == set(answers[1].json)
    assert _listed(api, orgs)["peter@initech.test"]["status"] == "disabled"


def test_invitations_are_bounded_per_client_admin_an_hour(api, admin_token, orgs):
    version = api.get("/agent/settings", token=admin_token).json["version"]
    assert api.patch("/agent/settings", {"client_admin_invites_per_hour": 3, "version": version},
                     token=admin_token).status == 200
    assert [_invite(api, orgs, f"n{n}@acme.test").status for n in range(3)] == [202] * 3
    refused = _invite(api, orgs, "n3@acme.test")
    assert refused.status == 429 and refused.code == "too_many_requests"
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    assert "n3@acme.test" not in _listed(api, orgs)


def test_invitations_are_bounded_per_organization_an_hour(api, portal, orgs, monkeypatch):
    from chalicelib.services import throttle

    monkeypatch.setattr(throttle, "INVITES_PER_ORGANIZATION", 4)
    _, second = portal.active_client("deputy@acme.test", organization_id=orgs["acme"], role="client_admin")
    assert [_invite(api, orgs, f"a{n}@acme.test").status for n in range(3)] == [202] * 3
    deputy = portal.bearer(second)
    assert _invite(api, orgs, "d0@acme.test", token=deputy).status == 202
    refused = _invite(api, orgs, "d1@acme.test", token=deputy)
    assert refused.status == 429 and refused.headers["retry-after"]
