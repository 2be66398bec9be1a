"""Bounce and complaint feedback through the app: the SNS handler as Lambda invokes it,
what agents see on the client (`email_status`), clearing it, and the mail it stops."""

from __future__ import annotations

from devtools.mail_feedback import ses_event, sns_event
from tests.conftest import ROOT


def feedback(app, kind: str, email: str) -> dict:
    from chalice.test import Client

    with Client(app, stage_name="local", project_dir=str(ROOT)) as lambdas:
        return lambdas.lambda_.invoke("handle_mail_feedback", sns_event(ses_event(kind, email))).payload


def test_a_hard_bounce_shows_on_the_client_and_an_agent_with_manage_clients_clears_it(
        app, api, portal, agent_token, mailbox):
    client, _ = portal.active_client("ana@acme.test")
    shown = api.get(f"/agent/clients/{client['id']}", token=agent_token).json
    assert (shown["email_status"], shown["email_status_since"]) == ("ok", None)

    assert feedback(app, "bounce", "ANA@acme.test") == {"bouncing": 1}

    shown = api.get(f"/agent/clients/{client['id']}", token=agent_token).json
    assert shown["email_status"] == "bouncing" and shown["email_status_since"]
    listed = api.get("/agent/clients?email=ana@acme.test", token=agent_token).json["items"]
    assert listed[0]["email_status"] == "bouncing"
    assert api.patch(f"/agent/clients/{client['id']}", {"email_status": "ok"}, token=agent_token).status == 403
    assert api.patch(f"/agent/clients/{client['id']}", {"email_status": "bouncing"},
                     token=portal.agent_token).status == 400, "only clearing is allowed"

    cleared = api.patch(f"/agent/clients/{client['id']}", {"email_status": "ok"}, token=portal.agent_token)

    assert cleared.status == 200 and cleared.json["email_status"] == "ok"
    assert cleared.json["email_status_since"] >= shown["email_status_since"]


def test_a_complaint_stops_the_clients_mail_until_cleared(app, api, portal, mailbox):
    client, _ = portal.active_client("ana@acme.test")
    mailbox.deliver_all()
    sent_before = len(mailbox.messages(to="ana@acme.test"))
    assert feedback(app, "complaint", "ana@acme.test") == {"complained": 1}

    assert api.post("/portal/password/forgot", {"email": "ana@acme.test"}).status in (200, 202)
    mailbox.deliver_all()
    assert len(mailbox.messages(to="ana@acme.test")) == sent_before
    assert [m.template for m in mailbox.queued(status="suppressed")] == ["portal-password-reset"]

    api.patch(f"/agent/clients/{client['id']}", {"email_status": "ok"}, token=portal.agent_token)
    api.post("/portal/password/forgot", {"email": "ana@acme.test"})
    mailbox.deliver_all()
    assert len(mailbox.messages(template="portal-password-reset", to="ana@acme.test")) >= 1
