"""Watching a ticket in the portal page (product.md §12), in headless Chromium: a client opens a
ticket, watches it and chooses its events; the choice is kept across a reload; unwatching works."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, needs_routes
from tests.browser.flows import activate, invite_client

WATCH_ROUTES = ("POST /agent/clients", "POST /portal/activate", "POST /portal/tickets",
                "GET /portal/tickets/{number}", "PUT /portal/tickets/{number}/watch",
                "DELETE /portal/tickets/{number}/watch")


@needs_routes(*WATCH_ROUTES)
def test_a_client_watches_a_ticket_keeps_the_choice_across_a_reload_and_stops_watching(page: Page, api, admin_token):
    invite_client(api, admin_token, "wendy@acme.test")
    activate(page, "wendy@acme.test", "Wendy Watcher")

    page.get_by_role("navigation").get_by_role("link", name="New ticket").click()
    page.get_by_label("Subject").fill("The VPN drops every hour")
    page.get_by_label("Description").fill("It reconnects after a minute.")
    page.get_by_role("button", name="Create ticket").click()
    expect(page.get_by_role("heading", name="The VPN drops every hour")).to_be_visible()

    panel = page.locator("#watch")
    expect(panel.get_by_role("status")).to_have_text("You are not watching this ticket.")
    expect(panel.get_by_role("button", name="Stop watching")).to_be_hidden()
    panel.get_by_label("Status changes").check()
    panel.get_by_label("Resolution").check()
    with page.expect_response(lambda r: r.request.method == "PUT" and r.url.endswith("/watch")) as saved:
        panel.get_by_role("button", name="Save").click()
    assert saved.value.status == 200
    expect(panel.get_by_role("status")).to_have_text("You are watching this ticket.")
    assert_accessible(page)

    page.reload()
    panel = page.locator("#watch")
    expect(panel.get_by_role("status")).to_have_text("You are watching this ticket.")
    expect(panel.get_by_label("Every public reply")).not_to_be_checked()
    expect(panel.get_by_label("Status changes")).to_be_checked()
    expect(panel.get_by_label("Resolution")).to_be_checked()

    panel.get_by_role("button", name="Stop watching").click()
    expect(panel.get_by_role("status")).to_have_text("You are not watching this ticket.")
    expect(panel.get_by_label("Status changes")).not_to_be_checked()
    expect(panel.get_by_role("button", name="Stop watching")).to_be_hidden()

    page.reload()
    panel = page.locator("#watch")
    expect(panel.get_by_role("status")).to_have_text("You are not watching this ticket.")
    for event in ("Every public reply", "Status changes", "Resolution"):
        expect(panel.get_by_label(event)).not_to_be_checked()
