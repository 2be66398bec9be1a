"""Client admins manage their own organization's clients (product.md §2)."""

from __future__ import annotations

import pytest


@pytest.fixture
def acme(api, admin_token, portal):
    org = api.post("/agent/organizations", {"name": "Acme"}, token=admin_token).json
    other = api.post("/agent/organizations", {"name": "Initech"}, token=admin_token).json
    admin, admin_session = portal.active_client("boss@acme.test", organization_id=org["id"], role="client_admin")
    user, user_session = portal.active_client("worker@acme.test", organization_id=org["id"])
    stranger, _ = portal.active_client("peter@initech.test", organization_id=other["id"])
    return {"org": org, "admin": portal.bearer(admin_session), "user": portal.bearer(user_session),
            "admin_id": admin["id"], "user_id": user["id"], "stranger_id": stranger["id"]}


def test_a_client_admin_lists_only_their_organizations_clients(api, acme):
    answer = api.get("/portal/organization/clients", token=acme["admin"])
    assert answer.status == 200
    assert [c["email"] for c in answer.json["items"]] == ["boss@acme.test", "worker@acme.test"]
    assert "password_hash" not in answer.json["items"][0]


def test_a_client_user_cannot_reach_the_organization_clients(api, acme):
    assert api.get("/portal/organization/clients", token=acme["user"]).code == "forbidden"
    assert api.post("/portal/organization/clients", {"email": "x@acme.test"}, token=acme["user"]).code == "forbidden"
    assert api.post(f"/portal/organization/clients/{acme['admin_id']}/disable",
                    token=acme["user"]).code == "forbidden"


def test_a_client_admin_invites_a_colleague_as_a_client_user(api, acme, outbox):
    answer = api.post("/portal/organization/clients", {"email": "new@acme.test", "name": "Newbie"},
                      token=acme["admin"])
    assert answer.status == 202  # the same answer for every address (issue 13): the list shows the rest
    listed = {c["email"]: c for c in api.get("/portal/organization/clients", token=acme["admin"]).json["items"]}
    assert listed["new@acme.test"]["role"] == "client_user" and listed["new@acme.test"]["status"] == "invited"
    assert listed["new@acme.test"]["organization_id"] == acme["org"]["id"]
    assert outbox.messages("portal-welcome", "new@acme.test")


def test_a_client_admin_deactivates_a_colleague_whose_session_ends(api, acme):
    answer = api.post(f"/portal/organization/clients/{acme['user_id']}/disable", token=acme["admin"])
    assert answer.status == 200 and answer.json["status"] == "disabled"
    assert api.get("/portal/me", token=acme["user"]).status == 401


def test_another_organizations_client_is_not_found(api, acme):
    answer = api.post(f"/portal/organization/clients/{acme['stranger_id']}/disable", token=acme["admin"])
    assert answer.status == 404


def test_a_client_admin_cannot_deactivate_themselves(api, acme):
    assert api.post(f"/portal/organization/clients/{acme['admin_id']}/disable", token=acme["admin"]).status == 409
