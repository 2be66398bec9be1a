"""Branding (product.md §12) in the page, its config and the mail; a client admin re-enables a
colleague and resends a colleague's invitation; joining an organization by email domain."""

from __future__ import annotations

import re

from tests.support import CLIENT_PASSWORD


def _settings(api, admin_token, **values):
    version = api.get("/agent/settings", token=admin_token).json["version"]
    return api.patch("/agent/settings", {**values, "version": version}, token=admin_token)


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

    invited = api.post("/portal/organization/clients", {"email": "dora@acme.test"}, token=helpdesk.org_admin).json
    first = outbox.last("portal-welcome", "dora@acme.test")["data"]["activation_url"]
    again = api.post(f"/portal/organization/clients/{invited['id']}/invite", token=helpdesk.org_admin)
    assert again.status == 200 and again.json["status"] == "invited"
    assert outbox.last("portal-welcome", "dora@acme.test")["data"]["activation_url"] != first
    assert api.post(f"/portal/organization/clients/{colleague['id']}/invite",
                    token=helpdesk.org_admin).status == 409  # already active
    assert api.post(f"/portal/organization/clients/{helpdesk.stranger_id}/invite",
                    token=helpdesk.org_admin).status == 404


def test_resending_invitations_counts_against_the_hourly_limit(helpdesk, api):
    invited = api.post("/portal/organization/clients", {"email": "eve@acme.test"}, token=helpdesk.org_admin).json
    answers = [api.post(f"/portal/organization/clients/{invited['id']}/invite", token=helpdesk.org_admin).status
               for _ in range(21)]
    assert answers[:20] == [200] * 20 and answers[20] == 429


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
