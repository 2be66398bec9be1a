"""Assets (product.md §10): agents manage them with `manage-assets` and every agent reads;
a client sees the assets assigned to them, a client admin the organization's, never the
internal notes; tickets name an asset; removing a client unassigns their assets."""

from __future__ import annotations

import pytest


@pytest.fixture
def assets_agent(agents):
    return agents.token("assets@helpdesk.test", ["manage-assets"])


@pytest.fixture
def fleet(api, helpdesk, assets_agent):
    """Rita's laptop, the organization's unassigned printer, and Initech's server."""
    def create(**fields):
        answer = api.post("/agent/assets", fields, token=assets_agent)
        assert answer.status == 201, answer.json
        return answer.json

    initech = api.get(f"/agent/clients/{helpdesk.stranger_id}", token=helpdesk.admin).json["organization_id"]
    return {
        "laptop": create(organization_id=helpdesk.org_id, client_id=helpdesk.requester_id, name="Laptop",
                         type="laptop", serial="SN-1", purchased_on="2024-01-31",
                         attributes={"RAM": "16 GB"}, internal_notes="Screen replaced twice"),
        "printer": create(organization_id=helpdesk.org_id, name="Printer", serial="P-9"),
        "server": create(organization_id=initech, client_id=helpdesk.stranger_id, name="Server", serial="SN-1"),
        "create": create,
    }


def test_writing_needs_manage_assets_and_every_agent_reads(api, helpdesk, fleet):
    refused = api.post("/agent/assets", {"organization_id": helpdesk.org_id, "name": "X"}, token=helpdesk.agent)
    assert refused.status == 403
    laptop = api.get(f"/agent/assets/{fleet['laptop']['id']}", token=helpdesk.agent).json
    assert laptop["internal_notes"] == "Screen replaced twice" and laptop["version"] == 1
    assert laptop["attributes"] == {"RAM": "16 GB"} and laptop["purchased_on"] == "2024-01-31"
    assert api.patch(f"/agent/assets/{fleet['laptop']['id']}", {"status": "retired"},
                     token=helpdesk.agent).status == 403


def test_agents_filter_by_organization_client_and_exact_serial(api, helpdesk, fleet):
    def names(query):
        answer = api.get(f"/agent/assets?{query}", token=helpdesk.agent)
        assert answer.status == 200, answer.json
        return sorted(item["name"] for item in answer.json["items"])

    assert names("") == ["Laptop", "Printer", "Server"]
    assert names(f"organization_id={helpdesk.org_id}") == ["Laptop", "Printer"]
    assert names(f"client_id={helpdesk.requester_id}") == ["Laptop"]
    assert names(f"organization_id={helpdesk.org_id}&serial=SN-1") == ["Laptop"]
    assert names("serial=SN-1") == ["Laptop", "Server"]
    assert names("serial=sn-1") == []


def test_a_serial_is_unique_within_an_organization(api, helpdesk, fleet, assets_agent):
    again = api.post("/agent/assets", {"organization_id": helpdesk.org_id, "name": "Twin", "serial": "SN-1"},
                     token=assets_agent)
    assert again.status == 409 and again.json["fields"] == {"serial": "already taken"}
    # Renaming the serial frees the old one and takes the new one.
    laptop = fleet["laptop"]
    moved = api.patch(f"/agent/assets/{laptop['id']}", {"serial": "SN-2"}, token=assets_agent)
    assert moved.status == 200 and moved.json["version"] == 2
    assert fleet["create"](organization_id=helpdesk.org_id, name="Twin", serial="SN-1")["serial"] == "SN-1"
    taken = api.patch(f"/agent/assets/{fleet['printer']['id']}", {"serial": "SN-2"}, token=assets_agent)
    assert taken.status == 409


def test_bad_asset_input_is_refused(api, helpdesk, fleet, assets_agent):
    def create(**fields):
        return api.post("/agent/assets", {"organization_id": helpdesk.org_id, "name": "X", **fields},
                        token=assets_agent)

    assert create(organization_id="nope").json["fields"] == {"organization_id": "unknown organization"}
    assert create(client_id=helpdesk.stranger_id).json["fields"] == {"client_id": "not of the asset's organization"}
    assert create(attributes={f"k{i}": "v" for i in range(21)}).status == 400
    assert create(attributes={"k" * 65: "v"}).status == 400
    assert create(attributes={"k": "v" * 501}).status == 400
    assert create(attributes={"k": "two\nlines"}).status == 400
    assert create(status="lost").status == 400
    assert create(purchased_on="yesterday").status == 400


def test_assign_unassign_retire_and_optimistic_locking(api, helpdesk, fleet, assets_agent):
    printer = fleet["printer"]
    path = f"/agent/assets/{printer['id']}"
    assigned = api.patch(path, {"client_id": helpdesk.requester_id, "version": 1}, token=assets_agent)
    assert assigned.status == 200 and assigned.json["client_id"] == helpdesk.requester_id
    stale = api.patch(path, {"status": "retired", "version": 1}, token=assets_agent)
    assert stale.status == 409
    foreign = api.patch(path, {"client_id": helpdesk.stranger_id}, token=assets_agent)
    assert foreign.status == 400
    done = api.patch(path, {"client_id": None, "status": "retired", "version": 2}, token=assets_agent).json
    assert done["client_id"] is None and done["status"] == "retired" and done["version"] == 3
    assert api.patch("/agent/assets/nope", {"name": "x"}, token=assets_agent).status == 404


def test_clients_see_their_assets_admins_the_organizations_never_the_notes(api, helpdesk, fleet):
    mine = api.get("/portal/assets", token=helpdesk.requester)
    assert mine.status == 200 and [a["name"] for a in mine.json["items"]] == ["Laptop"]
    assert "internal_notes" not in mine.json["items"][0] and "version" not in mine.json["items"][0]
    admin = api.get("/portal/assets", token=helpdesk.org_admin).json["items"]
    assert sorted(a["name"] for a in admin) == ["Laptop", "Printer"]
    assert all("internal_notes" not in a for a in admin)
    assert [a["name"] for a in api.get("/portal/assets", token=helpdesk.stranger).json["items"]] == ["Server"]
    laptop, printer = fleet["laptop"]["id"], fleet["printer"]["id"]
    assert api.get(f"/portal/assets/{laptop}", token=helpdesk.requester).json["name"] == "Laptop"
    assert api.get(f"/portal/assets/{printer}", token=helpdesk.requester).status == 404
    assert api.get(f"/portal/assets/{printer}", token=helpdesk.org_admin).status == 200
    assert api.get(f"/portal/assets/{laptop}", token=helpdesk.stranger).status == 404
    assert api.get("/portal/assets").status == 401


def test_a_browser_navigating_to_the_assets_gets_the_page(api, helpdesk):
    page = api.get("/portal/assets", headers={"Accept": "text/html"})
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert api.get("/portal/static/portal.js").status == 200


def test_tickets_name_a_visible_asset_and_both_sides_see_it(api, helpdesk, fleet):
    laptop, printer, server = fleet["laptop"], fleet["printer"], fleet["server"]
    ticket = helpdesk.open_ticket("Laptop is slow", asset_id=laptop["id"])
    assert ticket["asset"] == {"id": laptop["id"], "name": "Laptop"}
    agent_view = api.get(f"/agent/tickets/{ticket['number']}", token=helpdesk.agent).json
    assert agent_view["asset"]["id"] == laptop["id"]
    # The requester may name only an asset they see: not the unassigned printer, not Initech's server.
    for other in (printer, server):
        refused = api.post("/portal/tickets", {"subject": "x", "description": "y", "asset_id": other["id"]},
                           token=helpdesk.requester)
        assert refused.status == 400 and refused.json["fields"] == {"asset_id": "unknown asset"}
    # A client admin may name the organization's printer; an agent any asset of the requester's organization.
    by_admin = api.post("/portal/tickets", {"subject": "Jam", "description": "y", "asset_id": printer["id"]},
                        token=helpdesk.org_admin)
    assert by_admin.status == 201
    by_agent = api.post("/agent/tickets", {"requester_id": helpdesk.requester_id, "subject": "Toner",
                                           "description": "y", "asset_id": printer["id"]}, token=helpdesk.agent)
    assert by_agent.status == 201 and by_agent.json["asset"]["name"] == "Printer"
    wrong_org = api.post("/agent/tickets", {"requester_id": helpdesk.requester_id, "subject": "x",
                                            "description": "y", "asset_id": server["id"]}, token=helpdesk.agent)
    assert wrong_org.status == 400
    # An asset's tickets: agents see them all; a client the ones they may see.
    listed = api.get(f"/agent/assets/{printer['id']}/tickets", token=helpdesk.agent).json["items"]
    numbers = [t["number"] for t in listed]
    assert numbers == [by_agent.json["number"], by_admin.json["number"]]
    seen = api.get(f"/portal/assets/{printer['id']}/tickets", token=helpdesk.org_admin).json["items"]
    assert [t["number"] for t in seen] == numbers
    assert api.get(f"/portal/assets/{printer['id']}/tickets", token=helpdesk.requester).status == 404
    mine = api.get(f"/portal/assets/{laptop['id']}/tickets", token=helpdesk.requester).json["items"]
    assert [t["number"] for t in mine] == [ticket["number"]]


def test_removing_a_client_unassigns_their_assets(api, helpdesk, fleet, portal):
    answer = api.delete(f"/agent/clients/{helpdesk.requester_id}", token=portal.agent_token)
    assert answer.status == 204
    laptop = api.get(f"/agent/assets/{fleet['laptop']['id']}", token=helpdesk.agent).json
    assert laptop["client_id"] is None and laptop["organization_id"] == helpdesk.org_id
    assert api.get(f"/agent/assets?client_id={helpdesk.requester_id}", token=helpdesk.agent).json["items"] == []
