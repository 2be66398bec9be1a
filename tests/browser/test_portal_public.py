"""The portal's public pages in headless Chromium: light, accessible, safe, blocked when off."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, needs_portal_gate, screenshot

LOGIN_PAGE_BUDGET = 60 * 1024


def test_login_page_first_load_is_light_and_has_no_external_requests(page: Page, portal_url: str):
    transferred: list[tuple[str, int]] = []

    def count(response):
        sizes = response.request.sizes()
        transferred.append((response.url, sizes["responseBodySize"] + sizes["responseHeadersSize"]))

    page.on("requestfinished", lambda request: count(request.response()))
    page.goto("/portal")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.wait_for_load_state("networkidle")
    total = sum(size for _, size in transferred)
    print(f"\nlog-in page first load: {total} bytes in {len(transferred)} requests")
    assert total <= LOGIN_PAGE_BUDGET, transferred
    assert all(url.startswith(portal_url) for url, _ in transferred), transferred


def test_login_page_is_accessible_and_labelled(page: Page):
    page.goto("/portal")
    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    expect(page.get_by_role("link", name="Forgot your password?")).to_be_visible()
    expect(page.get_by_role("link", name="Create an account")).to_have_count(0)  # private portal by default
    assert_accessible(page)
    screenshot(page, "01-login")


def test_login_page_sends_a_strict_content_security_policy(page: Page):
    response = page.goto("/portal")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_every_page_path_serves_the_portal(page: Page, portal_url: str):
    for path in ("/portal/activate?token=x", "/portal/verify?token=x", "/portal/reset?token=x", "/portal/signup",
                 "/portal/forgot", "/portal/tickets/new", "/portal/profile", "/portal/colleagues",
                 "/portal/impersonate"):
        response = page.request.get(portal_url + path, headers={"Accept": "text/html"})
        assert response.status == 200, path
        assert "portal.js" in response.text(), path


def test_forgot_password_page_is_accessible(page: Page):
    page.goto("/portal")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "02-forgot")


def test_disabled_portal_shows_the_blocked_message(page: Page, api, admin_token):
    assert api.patch("/agent/settings", json={"portal_enabled": False}, token=admin_token).status == 200
    page.goto("/portal")
    expect(page.locator("#blocked")).to_have_text("Client self-service portal temporarily blocked")
    expect(page.get_by_role("button", name="Log in")).to_have_count(0)
    assert_accessible(page)
    screenshot(page, "09-blocked")


@needs_portal_gate
def test_client_outside_the_ip_allowlist_sees_the_blocked_message(page: Page, api, admin_token):
    answer = api.patch("/agent/settings", json={"allow_all_ips": False, "ip_allowlist": ["203.0.113.0/24"]},
                       token=admin_token)
    assert answer.status == 200
    page.goto("/portal")
    expect(page.locator("#blocked")).to_have_text("Client self-service portal temporarily blocked")


def test_a_view_as_client_link_without_its_token_explains_itself(page: Page):
    page.goto("/portal/impersonate")
    expect(page.locator(".notice.error")).to_have_text("This link is incomplete. Open it again from the agent tool.")
