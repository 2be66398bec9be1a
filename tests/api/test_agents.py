"""Agents and permissions (product.md §6): super users list agents and set their groups
through the Cognito pool; nobody else may; a super user cannot demote themselves."""

from __future__ import annotations

import pytest

from devtools import stack
from tests.support import AGENT_PASSWORD


def _agent(api, token, email):
    """The agent named `email` as the list shows it (walks every page)."""
    cursor = None
    while True:
        answer = api.get("/agent/agents?limit=100" + (f"&cursor={cursor}" if cursor else ""), token=token)
        assert answer.status == 200, answer.json
        for item in answer.json["items"]:
            if item["email"] == email:
                return item
        cursor = answer.json["next_cursor"]
        if not cursor:
            raise AssertionError(f"{email} is not in the list")


def test_an_admin_lists_agents_with_their_groups_and_status(api, admin_token, agents):
    agents.token("tess@helpdesk.test", ["manage-tickets", "view-reports"])
    answer = api.get("/agent/agents", token=admin_token)
    assert answer.status == 200
    by_email = {item["email"]: item for item in answer.json["items"]}
    assert by_email["tess@helpdesk.test"]["groups"] == ["manage-tickets", "view-reports"]
    assert by_email["admin@helpdesk.test"]["groups"] == ["admins"]
    tess = by_email["tess@helpdesk.test"]
    assert tess["enabled"] is True and tess["status"] == "CONFIRMED" and tess["username"]
    assert set(tess) >= {"username", "email", "name", "enabled", "status", "groups"}
    assert answer.json["next_cursor"] is None


def test_the_list_is_paginated_with_an_opaque_cursor(api, admin_token, aws_stack):
    for n in range(4):
        stack.create_agent(aws_stack, f"paged-{n}@helpdesk.test", AGENT_PASSWORD, [])
    seen, cursor, pages = [], None, 0
    while True:
        answer = api.get("/agent/agents?limit=2" + (f"&cursor={cursor}" if cursor else ""), token=admin_token)
        assert answer.status == 200, answer.json
        assert len(answer.json["items"]) <= 2
        seen += [item["email"] for item in answer.json["items"]]
        pages += 1
        cursor = answer.json["next_cursor"]
        if not cursor:
            break
    assert pages >= 3
    assert sorted(seen) == sorted({*seen}) and {f"paged-{n}@helpdesk.test" for n in range(4)} <= set(seen)
    assert "admin@helpdesk.test" in seen


def test_a_tampered_or_foreign_cursor_is_400(api, admin_token, aws_stack):
    for n in range(3):
        stack.create_agent(aws_stack, f"cursor-{n}@helpdesk.test", AGENT_PASSWORD, [])
    cursor = api.get("/agent/agents?limit=1", token=admin_token).json["next_cursor"]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    assert api.get(f"/agent/agents?cursor={tampered}", token=admin_token).code == "validation_error"
    organizations = api.get(f"/agent/organizations?cursor={cursor}", token=admin_token)
    assert organizations.status == 400


def test_an_admin_sets_an_agents_groups_and_it_applies_at_their_next_token(api, admin_token, agents, aws_stack):
    old_token = agents.token("newbie@helpdesk.test", [])
    username = _agent(api, admin_token, "newbie@helpdesk.test")["username"]
    answer = api.patch(f"/agent/agents/{username}", {"groups": ["manage-clients", "view-reports"]},
                       token=admin_token)
    assert answer.status == 200, answer.json
    assert answer.json["groups"] == ["manage-clients", "view-reports"]
    assert _agent(api, admin_token, "newbie@helpdesk.test")["groups"] == ["manage-clients", "view-reports"]
    # The token issued before the change still carries the old groups; the next one has the new.
    assert api.post("/agent/clients", {"email": "x@acme.test", "send_invitation": False},
                    token=old_token).status == 403
    fresh = stack.agent_id_token(aws_stack, "newbie@helpdesk.test", AGENT_PASSWORD)
    assert api.post("/agent/clients", {"email": "x@acme.test", "send_invitation": False},
                    token=fresh).status == 201
    removed = api.patch(f"/agent/agents/{username}", {"groups": []}, token=admin_token)
    assert removed.status == 200 and removed.json["groups"] == []


def test_groups_portico_does_not_know_are_left_alone(api, admin_token, agents, aws_stack):
    from chalicelib import aws

    agents.token("ops@helpdesk.test", ["view-reports"])
    idp = aws.client("cognito-idp")
    idp.create_group(UserPoolId=aws_stack.user_pool_id, GroupName="ops-on-call")
    idp.admin_add_user_to_group(UserPoolId=aws_stack.user_pool_id, Username="ops@helpdesk.test",
                                GroupName="ops-on-call")
    username = _agent(api, admin_token, "ops@helpdesk.test")["username"]
    answer = api.patch(f"/agent/agents/{username}", {"groups": ["manage-tickets"]}, token=admin_token)
    assert answer.json["groups"] == ["manage-tickets", "ops-on-call"]
    assert _agent(api, admin_token, "ops@helpdesk.test")["groups"] == ["manage-tickets", "ops-on-call"]


@pytest.mark.parametrize("groups", [["superheroes"], ["admins", "root"], "admins", [1], None])
def test_unknown_groups_or_a_bad_shape_are_400(api, admin_token, agents, groups):
    agents.token("target@helpdesk.test", ["view-reports"])
    username = _agent(api, admin_token, "target@helpdesk.test")["username"]
    answer = api.patch(f"/agent/agents/{username}", {"groups": groups}, token=admin_token)
    assert answer.status == 400 and answer.code == "validation_error"
    assert any(key.startswith("groups") for key in answer.json["fields"])
    assert _agent(api, admin_token, "target@helpdesk.test")["groups"] == ["view-reports"]


def test_an_unknown_agent_is_404(api, admin_token):
    answer = api.patch("/agent/agents/nobody-here", {"groups": []}, token=admin_token)
    assert answer.status == 404 and answer.code == "not_found"


def test_an_admin_cannot_remove_their_own_admins_group(api, admin_token):
    me = _agent(api, admin_token, "admin@helpdesk.test")
    answer = api.patch(f"/agent/agents/{me['username']}", {"groups": ["manage-clients"]}, token=admin_token)
    assert answer.status == 409 and answer.code == "conflict"
    # Named by email instead of username: still themselves.
    by_email = api.patch("/agent/agents/admin@helpdesk.test", {"groups": []}, token=admin_token)
    assert by_email.status == 409
    assert _agent(api, admin_token, "admin@helpdesk.test")["groups"] == ["admins"]
    # Adding groups while keeping admins is fine.
    kept = api.patch(f"/agent/agents/{me['username']}", {"groups": ["admins", "view-reports"]}, token=admin_token)
    assert kept.status == 200 and kept.json["groups"] == ["admins", "view-reports"]


def test_another_admin_can_remove_an_admins_group(api, admin_token, agents):
    agents.token("second-admin@helpdesk.test", ["admins"])
    username = _agent(api, admin_token, "second-admin@helpdesk.test")["username"]
    answer = api.patch(f"/agent/agents/{username}", {"groups": []}, token=admin_token)
    assert answer.status == 200 and answer.json["groups"] == []


def test_only_admins_list_or_change_agents(api, agents, admin_token):
    for groups in ([], ["manage-clients", "manage-tickets", "view-reports"]):
        token = agents.token(f"not-admin-{len(groups)}@helpdesk.test", groups)
        assert api.get("/agent/agents", token=token).code == "forbidden"
        target = _agent(api, admin_token, "admin@helpdesk.test")["username"]
        answer = api.patch(f"/agent/agents/{target}", {"groups": []}, token=token)
        assert answer.status == 403 and answer.code == "forbidden"
    assert api.get("/agent/agents").status == 401
