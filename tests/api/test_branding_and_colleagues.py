"""Branding (product.md §12) in the page, its config and the mail; a client admin re-enables a
colleague and resends a colleague's invitation; joining an organization by email domain."""

from __future__ import annotations

import re

from tests.support import CLIENT_PASSWORD


def _settings(api, admin_token, **values):
    version = api.get("/agent/settings", token=admin_token).json["version"]
    return api.patch("/agent/settings", {**values, "version": version}, token=admin_token)


def _invited_id(api, token, email):
    """Inviting answers a bare 202 (it tells nothing about the address): the id is in the list."""
    assert api.post("/portal/organization/clients", {"email": email}, token=token).status == 202
    listed = api.get("/portal/organization/clients", token=token).json["items"]
    return next(c["id"] for c in listed if c["email"] == email)


def test_branding_is_validated_exposed_and_used_by_the_page_and_the_mail(api, admin_token, portal, mailbox):
    for bad in ({"logo_url": "http://cdn.acme.test/logo.png"}, {"logo_url": "javascript:alert(1)"},
                {"accent_color": "red"}, {"accent_color": "#12345"}, {"portal_name": "<b>x</b>"}):
        assert _settings(api, admin_token, **bad).status == 400, bad
    answer = _settings(api, admin_token, portal_name="Acme Help", logo_url="https://cdn.acme.test/logo.png",
                       accent_color="#0a7d5a")
    assert answer.status == 200 and answer.json["accent_color"] == "#0a7d5a"
    config = api.get("/portal/config").json
    assert (config["portal_name"], config["logo_url"], config["accent_color"]) == (
        "Acme Help", "https://cdn.acme.test/logo.png", "#0a7d5a")
    page = api.request("GET", "/portal", headers={"Accept": "text/html"})
    img_src = re.search(r"img-src ([^;]*)", page.headers["content-security-policy"]).group(1)
    from chalicelib.services.attachments import bucket_origin

    # that origin, for images only, beside the page's own and the attachments bucket's
    assert sorted(img_src.split()) == sorted(["'self'", "data:", "https://cdn.acme.test", bucket_origin()])
    assert "cdn.acme.test" not in page.headers["content-security-policy"].replace(f"img-src {img_src}", "")
    portal.create_client("new@acme.test")
    mailbox.deliver_all()
    assert mailbox.messages(template="portal-welcome", to="new@acme.test")[-1].data["portal_name"] == "Acme Help"


def test_a_client_admin_re_enables_a_colleague_and_resends_an_invitation(helpdesk, api, portal, outbox):
    colleague, _ = portal.active_client("carl@acme.test", organization_id=helpdesk.org_id)
    assert api.post(f"/portal/organization/clients/{colleague['id']}/enable", token=helpdesk.org_admin).status == 409
    api.post(f"/portal/organization/clients/{colleague['id']}/disable", token=helpdesk.org_admin)
    enabled = api.post(f"/portal/organization/clients/{colleague['id']}/enable", token=helpdesk.org_admin)
    assert enabled.status == 200 and enabled.json["status"] == "active"
    assert portal.login("carl@acme.test").status == 200
    # not another organization's client, not as a client user
    assert api.post(f"/portal/organization/clients/{helpdesk.stranger_id}/enable",
                    token=helpdesk.org_admin).status == 404
    assert api.post(f"/portal/organization/clients/{colleague['id']}/enable", token=helpdesk.requester).status == 403

    invited_id = _invited_id(api, helpdesk.org_admin, "dora@acme.test")
    first = outbox.last("portal-welcome", "dora@acme.test")["data"]["activation_url"]
    again = api.post(f"/portal/organization/clients/{invited_id}/invite", token=helpdesk.org_admin)
    assert again.status == 200 and again.json["status"] == "invited"
    assert outbox.last("portal-welcome", "dora@acme.test")["data"]["activation_url"] != first
    assert api.post(f"/portal/organization/clients/{colleague['id']}/invite",
                    token=helpdesk.org_admin).status == 409  # already active
    assert api.post(f"/portal/organization/clients/{helpdesk.stranger_id}/invite",
                    token=helpdesk.org_admin).status == 404


def test_resending_and_inviting_share_one_hourly_invitation_limit(helpdesk, api, admin_token):
    """One allowance for both (product.md §12): with 3 an hour, an invitation and two resends use
    it up, and then neither a resend nor a new invitation goes out."""
    assert _settings(api, admin_token, client_admin_invites_per_hour=3).status == 200

    def resend(client_id):
        return api.post(f"/portal/organization/clients/{client_id}/invite", token=helpdesk.org_admin).status

    def invite(email):
        return api.post("/portal/organization/clients", {"email": email}, token=helpdesk.org_admin)

    invited_id = _invited_id(api, helpdesk.org_admin, "eve@acme.test")
    assert [resend(invited_id), resend(invited_id)] == [200, 200]
    assert resend(invited_id) == 429
    assert invite("fred@acme.test").status == 429


def test_a_verified_sign_up_from_an_organizations_domain_joins_it(api, admin_token, outbox):
    _settings(api, admin_token, self_signup=True)
    joining = api.post("/agent/organizations", {"name": "Acme", "domain": "acme.test", "join_by_domain": True},
                       token=admin_token).json
    api.post("/agent/organizations", {"name": "Closed", "domain": "closed.test"}, token=admin_token)

    def sign_up(email):
        assert api.post("/portal/signup", {"email": email, "name": "New Person", "password": CLIENT_PASSWORD}
                        ).status == 202
        token = outbox.last("portal-signup-verify", email)["data"]["verify_url"].split("token=")[1]
        return api.post("/portal/signup/verify", {"token": token}).json["user"]

    joined = sign_up("nina@ACME.test")
    assert joined["organization_id"] == joining["id"] and joined["role"] == "client_user"
    assert sign_up("olga@closed.test")["organization_id"] is None  # join_by_domain is off by default
    api.patch(f"/agent/organizations/{joining['id']}", {"join_by_domain": False}, token=admin_token)
    assert sign_up("paul@acme.test")["organization_id"] is None
