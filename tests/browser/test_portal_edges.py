"""Rough edges a new user hit in the page (issue 21), in headless Chromium: an agent's client
view survives a reload, the first load logs no console error, a phone-width list keeps its
status badges whole and counts in good English, and the new-ticket form offers categories."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.conftest import CLIENT_PASSWORD, assert_accessible, screenshot
from tests.browser.flows import activate, client_session, invite_client, link_token

PHONE = {"width": 390, "height": 844}


def _client_with_session(api: Any, token: str, email: str, name: str) -> tuple[dict[str, Any], dict[str, str]]:
    client = invite_client(api, token, email, name=name)
    activation = link_token(email, "portal-welcome", "activation_url")
    assert api.post("/portal/activate", json={"token": activation, "name": name,
                                              "password": CLIENT_PASSWORD}).status == 200
    return client, client_session(api, email)


def _opens(api: Any, headers: dict[str, str], subject: str) -> int:
    answer = api.post("/portal/tickets", json={"subject": subject, "description": "Details."},
                      token=headers["Authorization"])
    assert answer.status == 201, answer.body
    return answer.json["number"]


def test_an_agents_client_view_lasts_through_a_reload_and_wins_over_a_client_session(
        page: Page, api, admin_token, agent_token):
    client, headers = _client_with_session(api, admin_token, "ned@acme.test", "Ned Client")
    number = _opens(api, headers, "Printer jammed")
    # The agent's browser also holds a client session of its own (another client).
    invite_client(api, admin_token, "own@acme.test", name="Own Client")
    activate(page, "own@acme.test", "Own Client")

    view = api.post(f"/agent/clients/{client['id']}/impersonate", token=admin_token)
    assert view.status == 201, view.body
    page.goto(f"/portal/impersonate#token={view.json['token']}")
    banner = page.locator("#banner")
    expect(banner).to_contain_text("Viewing as Ned Client (ned@acme.test), read-only.")
    assert "token" not in page.url
    page.get_by_role("link", name="Printer jammed").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Printer jammed")

    page.reload()  # F5 on the ticket page
    expect(page.get_by_role("heading", level=1)).to_contain_text("Printer jammed")
    expect(banner).to_contain_text("Viewing as Ned Client (ned@acme.test), read-only.")
    expect(page.get_by_role("button", name="Send reply")).to_have_count(0)
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["portico_impersonation"]["httpOnly"] and cookies["portico_impersonation"]["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # HttpOnly: out of the script's reach
    assert page.evaluate("window.localStorage.length + window.sessionStorage.length") == 0
    # Still read-only on the server, whatever the page shows.
    refused = page.evaluate("""n => fetch('/portal/tickets/' + n + '/notes', {
        method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'X-Requested-With': 'portico'},
        body: JSON.stringify({body: 'from the agent'})}).then(r => r.json())""", number)
    assert refused["code"] == "read_only"

    page.get_by_role("button", name="Stop viewing").click()
    expect(banner).to_be_empty()
    assert "portico_impersonation" not in {c["name"] for c in page.context.cookies()}
    page.goto("/portal/tickets")  # the browser's own client session is back, untouched
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    expect(page.get_by_role("link", name="Printer jammed")).to_have_count(0)


def test_the_first_load_logs_no_console_error_when_logged_out(browser: Any, portal_url: str, aws_stack: Any):
    context = browser.new_context(base_url=portal_url)
    tab = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    statuses: list[tuple[str, int]] = []
    tab.on("response", lambda response: statuses.append((response.url, response.status)))
    try:
        tab.goto("/portal/tickets")  # a bookmark: logged out, so the log-in page
        expect(tab.get_by_role("heading", name="Log in")).to_be_visible()
        tab.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert errors == []
    assert [(url, status) for url, status in statuses if status >= 400 and "/portal" in url] == []


def test_on_a_phone_the_status_badge_stays_whole_and_the_list_counts_in_english(
        page: Page, api, admin_token, agent_token):
    page.set_viewport_size(PHONE)
    invite_client(api, admin_token, "rosa@acme.test", name="Rosa")
    activate(page, "rosa@acme.test", "Rosa")
    headers = client_session(api, "rosa@acme.test")
    number = _opens(api, headers, "A fairly long subject line that needs room on a narrow phone screen")
    assert api.patch(f"/agent/tickets/{number}", json={"status": "resolved"}, token=agent_token).status == 200

    page.reload()
    badge = page.locator("table.tickets .badge")
    expect(badge).to_have_text("Resolved")
    assert badge.evaluate("el => getComputedStyle(el).whiteSpace") == "nowrap"
    line = badge.evaluate("el => parseFloat(getComputedStyle(el).lineHeight) || el.getClientRects()[0].height")
    rects = badge.evaluate("el => { const r = document.createRange(); r.selectNodeContents(el);"
                           " return r.getClientRects().length; }")
    assert rects == 1, "the badge's text wraps onto more than one line"
    assert badge.bounding_box()["height"] < 2 * line
    expect(page.locator("main p[role=status]").filter(has_text="shown")).to_have_text("1 ticket shown.")
    assert_accessible(page)
    screenshot(page, "20-phone-resolved-badge")

    _opens(api, headers, "Second")
    page.reload()
    expect(page.locator("main p[role=status]").filter(has_text="shown")).to_have_text("2 tickets shown.")


def test_the_new_ticket_form_offers_the_categories_or_free_text(page: Page, api, admin_token):
    invite_client(api, admin_token, "cat@acme.test", name="Cat")
    activate(page, "cat@acme.test", "Cat")

    page.goto("/portal/tickets/new")
    page.get_by_label("Subject").fill("Free text category")
    page.get_by_label("Description").fill("Any category goes.")
    category = page.get_by_label("Category (optional)")
    expect(category).to_have_js_property("tagName", "INPUT")
    category.fill("Coffee machine")
    page.get_by_role("button", name="Create ticket").click()
    expect(page.get_by_text("was created")).to_be_visible()
    headers = client_session(api, "cat@acme.test")
    mine = api.get("/portal/tickets", token=headers["Authorization"]).json["items"]
    assert [t["category"] for t in mine] == ["Coffee machine"]

    assert api.patch("/agent/settings", json={"ticket_categories": ["Network", "Printing"]},
                     token=admin_token).status == 200
    page.goto("/portal/tickets/new")  # a new load reads the config again
    select = page.get_by_label("Category (optional)")
    expect(select).to_have_js_property("tagName", "SELECT")
    expect(select.locator("option")).to_have_text(["None", "Network", "Printing"])
    page.get_by_label("Subject").fill("Listed category")
    page.get_by_label("Description").fill("From the list.")
    select.select_option("Printing")
    page.get_by_role("button", name="Create ticket").click()
    expect(page.get_by_text("was created")).to_be_visible()
    mine = api.get("/portal/tickets", token=headers["Authorization"]).json["items"]
    assert sorted(t["category"] for t in mine) == ["Coffee machine", "Printing"]
