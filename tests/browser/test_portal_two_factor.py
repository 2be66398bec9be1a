"""Two-step sign-in in the portal page, in headless Chromium (product.md §11): an email code,
enrolling an authenticator app with its QR code and recovery codes, signing in with the app and
with a recovery code, and "remember this device"."""

from __future__ import annotations

import pyotp
from playwright.sync_api import Page, expect

from tests.browser.conftest import CLIENT_PASSWORD, assert_accessible, needs_routes, screenshot
from tests.browser.flows import activate, invite_client, log_out, mail_data

MFA_ROUTES = ("POST /portal/login", "POST /portal/login/mfa", "GET /portal/me/mfa", "POST /portal/me/mfa/totp",
              "POST /portal/me/mfa/totp/confirm", "POST /portal/me/mfa/email")


def _password_step(page: Page, email: str) -> None:
    page.goto("/portal")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(CLIENT_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _code_step(page: Page, code: str, remember: bool = False) -> None:
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    field = page.locator('input[name="code"]')
    assert field.get_attribute("autocomplete") == "one-time-code"
    field.fill(code)
    if remember:
        page.get_by_label("Remember this device for 30 days").check()
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()


@needs_routes(*MFA_ROUTES)
def test_email_code_then_authenticator_app_recovery_code_and_a_remembered_device(page: Page, api, admin_token,
                                                                                 clock):
    version = api.get("/agent/settings", token=admin_token).json["version"]
    assert api.patch("/agent/settings", {"client_2fa": "optional", "version": version},
                     token=admin_token).status == 200
    invite_client(api, admin_token, "two@acme.test", name="Tess Two")
    activate(page, "two@acme.test", "Tess Two")

    # turn on email codes in the profile, then log in with one
    page.goto("/portal/profile")
    page.get_by_role("button", name="Send me codes by email").click()
    expect(page.locator("#mfa-status")).to_contain_text("codes by email")
    log_out(page)
    _password_step(page, "two@acme.test")
    expect(page.get_by_text("We have emailed you a 6-digit code")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "20-mfa-email-code")
    _code_step(page, mail_data("two@acme.test", "portal-login-code")["code"])

    # enrol an authenticator app: QR code, key, first code, recovery codes
    page.goto("/portal/profile")
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.locator("#mfa-qr")).to_be_visible()
    assert page.locator("#mfa-qr").evaluate("img => img.naturalWidth") > 0, "the QR code image renders"
    screenshot(page, "21-mfa-enrol-qr")
    totp = pyotp.TOTP(page.locator("#mfa-secret").inner_text())
    page.get_by_label("Code from the app").fill(totp.at(clock.now()))
    page.get_by_role("button", name="Confirm").click()
    codes = page.locator("#mfa-recovery-codes li")
    expect(codes).to_have_count(10)
    recovery = codes.all_inner_texts()
    screenshot(page, "22-mfa-recovery-codes")
    page.get_by_role("button", name="Done").click()
    expect(page.locator("#mfa-recovery-left")).to_have_text("Recovery codes left: 10.")
    log_out(page)

    # the app's next code (the one used to confirm is spent)
    clock.advance(seconds=30)
    _password_step(page, "two@acme.test")
    expect(page.get_by_text("Enter the 6-digit code from your authenticator app")).to_be_visible()
    _code_step(page, totp.at(clock.now()))
    log_out(page)

    # a recovery code, remembering this browser
    _password_step(page, "two@acme.test")
    _code_step(page, recovery[0], remember=True)
    assert page.evaluate("document.cookie") == "", "the device cookie is HttpOnly"
    log_out(page)

    # remembered: the password alone lets this browser in
    _password_step(page, "two@acme.test")
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    page.goto("/portal/profile")
    expect(page.locator("#mfa-recovery-left")).to_have_text("Recovery codes left: 9.")
