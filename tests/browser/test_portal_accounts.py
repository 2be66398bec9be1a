"""Client accounts in the portal page, in headless Chromium: invitation and activation, log in and
out, keyboard-only use, forgot/reset password, sign-up when public, profile, colleagues."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import CLIENT_PASSWORD, assert_accessible, needs_routes, screenshot
from tests.browser.flows import (
    activate,
    create_organization,
    invite_client,
    link_token,
    log_in,
    log_out,
)

ACCOUNT_ROUTES = ("POST /agent/clients", "GET /portal/activation/{token}", "POST /portal/activate",
                  "POST /portal/login", "POST /portal/logout", "GET /portal/me")


@needs_routes(*ACCOUNT_ROUTES)
def test_invited_client_activates_logs_out_and_back_in_and_the_old_link_says_already_activated(
        page: Page, api, admin_token):
    invite_client(api, admin_token, "ada@acme.test", name="Ada Lovelace")
    page.goto(f"/portal/activate?token={link_token('ada@acme.test', 'portal-welcome', 'activation_url')}")
    expect(page.locator("#activation-email")).to_have_text("ada@acme.test")
    expect(page.get_by_label("Full name")).to_have_value("Ada Lovelace")
    assert_accessible(page)
    screenshot(page, "03-activate")

    activate(page, "ada@acme.test", "Ada King", phone="+44 20 7946 0000")
    expect(page.get_by_text("Your account is active. Welcome!")).to_be_visible()
    assert page.evaluate("document.cookie") == "", "the session cookie is HttpOnly"
    assert page.evaluate("window.localStorage.length + window.sessionStorage.length") == 0

    log_out(page)
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    log_in(page, "ada@acme.test")

    log_out(page)
    page.goto(f"/portal/activate?token={link_token('ada@acme.test', 'portal-welcome', 'activation_url')}")
    expect(page.get_by_text("Your account is already activated.")).to_be_visible()
    page.get_by_label("Email").fill("ada@acme.test")
    page.get_by_label("Password").fill(CLIENT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()


@needs_routes(*ACCOUNT_ROUTES)
def test_activation_refuses_two_different_passwords_before_calling_the_api(page: Page, api, admin_token):
    invite_client(api, admin_token, "bob@acme.test")
    page.goto(f"/portal/activate?token={link_token('bob@acme.test', 'portal-welcome', 'activation_url')}")
    page.get_by_label("Full name").fill("Bob")
    page.get_by_label("Password", exact=True).fill(CLIENT_PASSWORD)
    page.get_by_label("Repeat password").fill(CLIENT_PASSWORD + "x")
    page.get_by_role("button", name="Activate account").click()
    expect(page.locator(".form-error")).to_have_text("The passwords do not match.")
    expect(page.locator('[data-field="password2"] .field-error')).to_have_text("The two passwords are not the same.")


@needs_routes(*ACCOUNT_ROUTES)
def test_a_weak_password_is_refused_in_words_next_to_the_form(page: Page, api, admin_token):
    invite_client(api, admin_token, "cy@acme.test")
    page.goto(f"/portal/activate?token={link_token('cy@acme.test', 'portal-welcome', 'activation_url')}")
    page.get_by_label("Full name").fill("Cy")
    page.get_by_label("Password", exact=True).fill("password123")
    page.get_by_label("Repeat password").fill("password123")
    page.get_by_role("button", name="Activate account").click()
    expect(page.locator(".form-error")).not_to_be_empty()
    expect(page.get_by_role("heading", name="Activate your account")).to_be_visible()


@needs_routes("GET /portal/activation/{token}")
def test_a_link_that_is_not_valid_asks_for_a_new_invitation(page: Page):
    page.goto("/portal/activate?token=not-a-real-token")
    expect(page.locator(".notice.error")).to_contain_text("ask your support contact")


@needs_routes(*ACCOUNT_ROUTES)
def test_an_expired_invitation_says_so_and_asks_for_a_new_one(page: Page, api, admin_token):
    from datetime import timedelta

    from chalicelib.ids import hash_secret, utcnow
    from chalicelib.models.users import UserModel, token_item_id

    invite_client(api, admin_token, "old@acme.test")
    secret = link_token("old@acme.test", "portal-welcome", "activation_url")
    # The link's lifetime (activation_ttl_hours) has passed.
    token = UserModel.get(token_item_id(hash_secret(secret)))
    token.update(actions=[UserModel.expires_at.set(utcnow() - timedelta(minutes=1))])

    page.goto(f"/portal/activate?token={secret}")
    expect(page.get_by_role("heading", name="Invitation expired")).to_be_visible()
    expect(page.locator(".notice.error")).to_have_text(
        "This invitation link has expired. Please ask your support contact to send you a new invitation.")
    expect(page.get_by_label("Password", exact=True)).to_have_count(0)
    assert_accessible(page)


@needs_routes(*ACCOUNT_ROUTES)
def test_wrong_password_is_explained_and_keyboard_alone_logs_in(page: Page, api, admin_token):
    invite_client(api, admin_token, "dee@acme.test")
    activate(page, "dee@acme.test", "Dee")
    log_out(page)

    page.get_by_label("Email").fill("dee@acme.test")
    page.get_by_label("Password").fill("not-the-password-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".form-error")).not_to_be_empty()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    # Keyboard only, from a fresh page: focus starts on the page heading, the form follows.
    page.goto("/portal")
    expect(page.get_by_role("heading", name="Log in")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type("dee@acme.test")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(CLIENT_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    expect(page.get_by_role("heading", name="My tickets")).to_be_focused()


@needs_routes(*ACCOUNT_ROUTES, "POST /portal/password/forgot", "POST /portal/password/reset")
def test_forgot_and_reset_password(page: Page, api, admin_token):
    invite_client(api, admin_token, "eve@acme.test")
    activate(page, "eve@acme.test", "Eve")
    log_out(page)

    page.get_by_role("link", name="Forgot your password?").click()
    # The log-in page has an Email field too: fill only once the new page is painted.
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    page.get_by_label("Email").fill("eve@acme.test")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    token = link_token("eve@acme.test", "portal-password-reset", "reset_url")
    page.goto(f"/portal/reset?token={token}")
    assert_accessible(page)
    page.get_by_label("New password", exact=True).fill("Quiet-Harbour-Lights-77")
    page.get_by_label("Repeat new password").fill("Quiet-Harbour-Lights-77")
    page.get_by_role("button", name="Save new password").click()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    log_in(page, "eve@acme.test", "Quiet-Harbour-Lights-77")

    log_out(page)
    page.goto(f"/portal/reset?token={token}")  # single use
    page.get_by_label("New password", exact=True).fill("Another-Fine-Password-12")
    page.get_by_label("Repeat new password").fill("Another-Fine-Password-12")
    page.get_by_role("button", name="Save new password").click()
    expect(page.locator(".form-error")).to_contain_text("can no longer be used")


@needs_routes("POST /portal/signup", "POST /portal/signup/verify", "GET /portal/me")
def test_public_portal_sign_up_then_verify_then_log_in(page: Page, api, admin_token):
    assert api.patch("/agent/settings", json={"self_signup": True}, token=admin_token).status == 200
    page.goto("/portal")
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "04-signup")
    page.get_by_label("Email").fill("fay@example.test")
    page.get_by_label("Full name").fill("Fay")
    page.get_by_label("Password", exact=True).fill(CLIENT_PASSWORD)
    page.get_by_label("Repeat password").fill(CLIENT_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    page.goto(f"/portal/verify?token={link_token('fay@example.test', 'portal-signup-verify', 'verify_url')}")
    expect(page.get_by_text("Your email address is confirmed. Welcome!")).to_be_visible()
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    log_out(page)
    log_in(page, "fay@example.test")


def test_private_portal_has_no_sign_up(page: Page):
    page.goto("/portal/signup")
    expect(page.get_by_text("Sign-up is not open.")).to_be_visible()
    expect(page.get_by_role("button", name="Create account")).to_have_count(0)


@needs_routes(*ACCOUNT_ROUTES, "PATCH /portal/me", "POST /portal/me/password")
def test_profile_edit_and_change_password(page: Page, api, admin_token):
    invite_client(api, admin_token, "gus@acme.test")
    activate(page, "gus@acme.test", "Gus")
    page.get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "07-profile")
    page.get_by_label("Full name").fill("Gus Grissom")
    page.get_by_label("Phone (optional)").fill("+1 555 0100")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile was saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Full name")).to_have_value("Gus Grissom")
    expect(page.get_by_label("Phone (optional)")).to_have_value("+1 555 0100")

    page.get_by_label("Current password").fill("wrong-current-password")
    page.get_by_label("New password", exact=True).fill("Second-Strong-Passphrase-9")
    page.get_by_label("Repeat new password").fill("Second-Strong-Passphrase-9")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("form[aria-label='Change password'] .form-error")).not_to_be_empty()

    page.get_by_label("Current password").fill(CLIENT_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password was changed.")).to_be_visible()
    log_out(page)
    log_in(page, "gus@acme.test", "Second-Strong-Passphrase-9")


@needs_routes(*ACCOUNT_ROUTES, "GET /portal/organization/clients", "POST /portal/organization/clients",
              "POST /portal/organization/clients/{id}/disable")
def test_client_admin_invites_and_deactivates_a_colleague(page: Page, api, admin_token):
    org = create_organization(api, admin_token)
    invite_client(api, admin_token, "hal@acme.test", organization_id=org, role="client_admin")
    activate(page, "hal@acme.test", "Hal")
    page.get_by_role("link", name="Colleagues").click()
    expect(page.get_by_role("heading", name="Colleagues")).to_be_visible()
    expect(page.get_by_role("cell", name="hal@acme.test")).to_be_visible()

    page.get_by_label("Email").fill("ivy@acme.test")
    page.get_by_label("Name (optional)").fill("Ivy")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to ivy@acme.test.")).to_be_visible()
    expect(page.get_by_role("cell", name="ivy@acme.test")).to_be_visible()
    assert link_token("ivy@acme.test", "portal-welcome", "activation_url")
    assert_accessible(page)
    screenshot(page, "08-colleagues")

    page.get_by_role("button", name="Deactivate Ivy").click()
    page.get_by_role("button", name="Yes, deactivate Ivy").click()
    expect(page.get_by_text("Ivy was deactivated.")).to_be_visible()
    page.reload()
    row = page.get_by_role("row").filter(has_text="ivy@acme.test")
    expect(row).to_contain_text("Disabled")


@needs_routes(*ACCOUNT_ROUTES)
def test_client_user_has_no_colleagues_page(page: Page, api, admin_token):
    org = create_organization(api, admin_token)
    invite_client(api, admin_token, "jo@acme.test", organization_id=org)
    activate(page, "jo@acme.test", "Jo")
    expect(page.get_by_role("link", name="Colleagues")).to_have_count(0)


@needs_routes(*ACCOUNT_ROUTES, "PATCH /agent/clients/{client_id}")
def test_a_deactivated_client_is_told_why_next_to_the_log_in_form(page: Page, api, admin_token):
    client = invite_client(api, admin_token, "gil@acme.test")
    activate(page, "gil@acme.test", "Gil")
    log_out(page)
    assert api.patch(f"/agent/clients/{client['id']}", json={"disabled": True}, token=admin_token).status == 200

    page.get_by_label("Email").fill("gil@acme.test")
    page.get_by_label("Password").fill(CLIENT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # 401 invalid_credentials, but after a right password the message says why; the page shows it.
    expect(page.locator(".form-error")).to_have_text("This account has been deactivated. Contact your helpdesk.")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
