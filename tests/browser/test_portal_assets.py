"""Assets in the portal page, in headless Chromium: a client opens Assets (portal-assets.js,
loaded through portal.js's one loader from /portal/static/), reads an asset assigned to them
(never its internal notes), opens a ticket about it from the asset's page, and finds the
ticket on both the ticket's and the asset's page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, needs_routes, screenshot
from tests.browser.flows import active_client, create_organization

ASSET_ROUTES = ("POST /agent/assets", "GET /portal/assets", "GET /portal/assets/{asset_id}",
                "GET /portal/assets/{asset_id}/tickets", "POST /portal/tickets")


@needs_routes(*ASSET_ROUTES)
def test_a_client_reads_their_asset_and_opens_a_ticket_about_it(page: Page, api, admin_token):
    organization = create_organization(api, admin_token)
    client = active_client(page, api, admin_token, "ada@acme.test", "Ada Client", organization_id=organization)
    created = api.post("/agent/assets", json={
        "organization_id": organization, "client_id": client["id"], "name": "Laptop", "type": "laptop",
        "serial": "SN-42", "attributes": {"RAM": "16 GB"}, "internal_notes": "Screen replaced twice"},
        token=admin_token)
    assert created.status == 201, created.body
    asset_id = created.json["id"]

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Assets").click()
    expect(page.get_by_role("heading", name="Assets")).to_be_visible()
    assert page.evaluate("() => [...document.scripts].some(s => s.src.endsWith('/portal/static/portal-assets.js'))")
    page.get_by_role("link", name="Laptop").click()
    expect(page.get_by_role("heading", name="Laptop")).to_be_visible()
    expect(page.get_by_text("SN-42")).to_be_visible()
    expect(page.get_by_text("16 GB")).to_be_visible()
    expect(page.get_by_text("Screen replaced twice")).to_have_count(0)
    expect(page.get_by_text("No tickets about this asset.")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "assets-01-asset")

    page.get_by_role("link", name="New ticket about this asset").click()
    expect(page.get_by_label("Asset")).to_have_value(asset_id)
    page.get_by_label("Subject").fill("The screen flickers")
    page.get_by_label("Description").fill("Since this morning.")
    page.get_by_role("button", name="Create ticket").click()
    expect(page.get_by_text("was created.")).to_be_visible()
    expect(page.get_by_role("link", name="Laptop")).to_be_visible()  # the ticket names its asset
    page.get_by_role("link", name="Laptop").click()
    expect(page.get_by_role("heading", name="Laptop")).to_be_visible()
    expect(page.get_by_role("cell", name="The screen flickers")).to_be_visible()
    screenshot(page, "assets-02-tickets")
