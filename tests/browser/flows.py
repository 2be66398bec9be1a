"""Steps the browser scenarios share: what an agent does through the API, what a client does in
the page, and reading the links the mail would carry (from the outbox, so the scenarios do not
depend on when delivery runs)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from tests.browser.conftest import CLIENT_PASSWORD


def mail_data(recipient: str, template: str) -> dict[str, Any]:
    """Template data of the newest email queued for `recipient` with `template`."""
    from chalicelib.models.outbox import OutboxModel

    found = [m for m in OutboxModel.scan() if m.recipient.lower() == recipient.lower() and m.template == template]
    assert found, f"no {template} email queued for {recipient}"
    newest = max(found, key=lambda m: m.created_at)
    return json.loads(newest.data)


def link_token(recipient: str, template: str, key: str) -> str:
    """The `token` query parameter of the link `key` (e.g. activation_url) in the newest email."""
    url = mail_data(recipient, template)[key]
    return parse_qs(urlsplit(url).query)["token"][0]


def create_organization(api: Any, token: str, name: str = "Acme Ltd") -> str:
    answer = api.post("/agent/organizations", json={"name": name}, token=token)
    assert answer.status == 201, answer.body
    return answer.json["id"]


def invite_client(api: Any, token: str, email: str, **fields: Any) -> dict[str, Any]:
    answer = api.post("/agent/clients", json={"email": email, "send_invitation": True, **fields}, token=token)
    assert answer.status == 201, answer.body
    return answer.json


def activate(page: Page, email: str, name: str, phone: str = "", password: str = CLIENT_PASSWORD) -> None:
    """Open the invitation link as the client would and fill in the activation form."""
    page.goto(f"/portal/activate?token={link_token(email, 'portal-welcome', 'activation_url')}")
    expect(page.locator("#activation-email")).to_have_text(email)
    page.get_by_label("Full name").fill(name)
    if phone:
        page.get_by_label("Phone (optional)").fill(phone)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat password").fill(password)
    page.get_by_role("button", name="Activate account").click()
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()


def active_client(page: Page, api: Any, token: str, email: str, name: str, **fields: Any) -> dict[str, Any]:
    """A client invited by an agent and activated in the page (so logged in)."""
    client = invite_client(api, token, email, **fields)
    activate(page, email, name)
    return client


def log_in(page: Page, email: str, password: str = CLIENT_PASSWORD) -> None:
    page.goto("/portal")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def client_session(api: Any, email: str, password: str = CLIENT_PASSWORD) -> dict[str, str]:
    """Headers for API calls as this client (the bearer token login returns beside the cookie)."""
    answer = api.post("/portal/login", json={"email": email, "password": password})
    assert answer.status == 200, answer.body
    token = answer.json.get("token") or answer.json["session_token"]
    return {"Authorization": f"Bearer {token}"}


def files_bucket_allows(page_url: str) -> None:
    """The attachments bucket's CORS rule names the portal's origin (deployed: the portal's
    domain; the local stack: PORTICO_PORTAL_URL). In the browser tests the page is served from
    a random loopback port, so the rule names that origin instead: the page's upload to S3 is a
    cross-origin POST with a progress listener, which the browser preflights."""
    from urllib.parse import urlsplit

    from chalicelib import aws
    from chalicelib.config import attachments_bucket

    origin = urlsplit(page_url)
    aws.client("s3").put_bucket_cors(Bucket=attachments_bucket(), CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": [f"{origin.scheme}://{origin.netloc}"], "AllowedMethods": ["POST"],
        "AllowedHeaders": ["*"], "MaxAgeSeconds": 3600}]})
