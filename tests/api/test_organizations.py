"""Organizations: agents with manage-clients create and edit them; every agent reads them.
Names are required, 1-200 characters, trimmed, and unique case-insensitively."""

from __future__ import annotations

import pytest


@pytest.fixture
def manager(agents):
    return agents.token("manager@helpdesk.test", ["manage-clients"])


def create(api, token, name, **extra):
    return api.post("/agent/organizations", {"name": name, **extra}, token=token)


def test_an_organization_is_created_with_its_name_trimmed(api, manager):
    answer = create(api, manager, "  Acme Corp  ", domain="acme.example")
    assert answer.status == 201
    assert answer.json["name"] == "Acme Corp"
    assert answer.json["domain"] == "acme.example"
    assert answer.json["id"] and answer.json["created_at"].endswith("Z")
    fetched = api.get(f"/agent/organizations/{answer.json['id']}", token=manager)
    assert fetched.status == 200 and fetched.json == answer.json


@pytest.mark.parametrize("body, field", [
    ({"name": ""}, "name"), ({"name": "   "}, "name"), ({"name": "x" * 201}, "name"), ({}, "name"),
    ({"name": 42}, "name"), ({"name": "Ok", "colour": "red"}, "colour"), ({"name": "Ok", "domain": "not a domain"},
                                                                         "domain"),
])
def test_invalid_organizations_are_400_with_the_field_named(api, manager, body, field):
    answer = api.post("/agent/organizations", body, token=manager)
    assert answer.status == 400
    assert answer.code == "validation_error"
    assert field in answer.json["fields"]


def test_a_name_of_exactly_200_characters_is_accepted(api, manager):
    assert create(api, manager, "x" * 200).status == 201


def test_names_are_unique_case_insensitively(api, manager):
    assert create(api, manager, "Globex").status == 201
    duplicate = create(api, manager, "GLOBEX")
    assert duplicate.status == 409 and duplicate.code == "conflict"


def test_renaming_frees_the_old_name_and_cannot_take_a_used_one(api, manager):
    first = create(api, manager, "Initech").json
    create(api, manager, "Umbrella")
    assert api.patch(f"/agent/organizations/{first['id']}", {"name": "umbrella"}, token=manager).status == 409
    renamed = api.patch(f"/agent/organizations/{first['id']}", {"name": " Initrode "}, token=manager)
    assert renamed.status == 200 and renamed.json["name"] == "Initrode"
    assert create(api, manager, "Initech").status == 201


def test_patch_changes_only_what_is_sent(api, manager):
    org = create(api, manager, "Hooli", domain="hooli.example", notes="VIP").json
    changed = api.patch(f"/agent/organizations/{org['id']}", {"notes": "Regular"}, token=manager).json
    assert changed["name"] == "Hooli" and changed["domain"] == "hooli.example" and changed["notes"] == "Regular"


def test_unknown_organizations_are_404(api, manager):
    assert api.get("/agent/organizations/01NOPE", token=manager).status == 404
    assert api.get("/agent/organizations/name%23hooli", token=manager).status == 404
    assert api.patch("/agent/organizations/01NOPE", {"name": "X"}, token=manager).code == "not_found"


def test_any_agent_reads_but_only_manage_clients_writes(api, agent_token, manager):
    org = create(api, manager, "Stark").json
    assert api.get("/agent/organizations", token=agent_token).status == 200
    assert api.get(f"/agent/organizations/{org['id']}", token=agent_token).status == 200
    assert create(api, agent_token, "Wayne").status == 403
    assert api.patch(f"/agent/organizations/{org['id']}", {"name": "X"}, token=agent_token).status == 403


def test_the_list_is_paginated_in_name_order_without_gaps_or_repeats(api, manager):
    names = [f"Org {letter}" for letter in "EDCBAGF"]
    for name in names:
        create(api, manager, name)
    seen, cursor = [], None
    while True:
        path = "/agent/organizations?limit=3" + (f"&cursor={cursor}" if cursor else "")
        answer = api.get(path, token=manager)
        assert answer.status == 200
        seen += [org["name"] for org in answer.json["items"]]
        cursor = answer.json["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(names)


def test_the_list_filters_by_name_prefix(api, manager):
    for name in ("Alpha One", "alpha two", "Beta"):
        create(api, manager, name)
    answer = api.get("/agent/organizations?q=ALPHA", token=manager)
    assert [org["name"] for org in answer.json["items"]] == ["Alpha One", "alpha two"]


def test_a_cursor_belongs_to_its_name_filter(api, manager):
    for name in ("Alpha One", "alpha two", "Beta One", "Beta Two"):
        create(api, manager, name)
    cursor = api.get("/agent/organizations?q=beta&limit=1", token=manager).json["next_cursor"]
    assert api.get(f"/agent/organizations?q=beta&cursor={cursor}", token=manager).json["items"][0]["name"] == "Beta Two"
    for other in ("q=alpha&", ""):
        answer = api.get(f"/agent/organizations?{other}cursor={cursor}", token=manager)
        assert answer.status == 400 and answer.code == "validation_error", other


def test_a_tampered_or_foreign_cursor_is_400(api, manager):
    for name in ("A", "B", "C"):
        create(api, manager, name)
    cursor = api.get("/agent/organizations?limit=1", token=manager).json["next_cursor"]
    assert cursor
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    for bad in (tampered, "not-a-cursor", "%%%", cursor + "x"):
        answer = api.get(f"/agent/organizations?cursor={bad}", token=manager)
        assert answer.status == 400 and answer.code == "validation_error", bad

    from chalicelib.cursor import decode_cursor, encode_cursor
    from chalicelib.errors import InvalidInput

    with pytest.raises(InvalidInput):
        decode_cursor("clients", encode_cursor("organizations", {"id": {"S": "x"}}))


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=abc", "unknown=1"])
def test_bad_list_parameters_are_400(api, manager, query):
    assert api.get(f"/agent/organizations?{query}", token=manager).status == 400
