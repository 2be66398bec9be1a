"""Logs never carry a secret: no password, session or email-link token (nor its hash), no
Authorization header and no email body, across a full client flow (product hardening rule).

Everything a deployed function could emit is captured: the app's Powertools logger at DEBUG
(stricter than production's INFO) through its own stdout handler, every other logger at INFO
(caplog; Lambda's root logger is WARNING unless configured) and anything printed (capsys).
"""

from __future__ import annotations

import hashlib
import io
import logging

import pytest

from chalicelib.ids import hash_secret

PASSWORD = "Blue-Harbour-Lantern-91"
NEW_PASSWORD = "Quiet-Meadow-Compass-58"
WRONG_PASSWORD = "Wrong-Guess-Lighthouse-33"
DESCRIPTION = "Marker-Description-7f3a: the invoice of March is wrong"
AGENT_REPLY = "Marker-Agent-Reply-91bd: we have corrected it"
CLIENT_REPLY = "Marker-Client-Reply-c04e: thank you"


@pytest.fixture
def all_logs(caplog, capsys):
    """Returns a function giving every line logged or printed so far in this test."""
    from chalicelib.observability import logger

    app_log = logger()
    extra, stdout = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(extra)
    handler.setFormatter(app_log.registered_formatter)
    # Powertools' own handler writes to the sys.stdout of when the logger was made (Lambda's
    # stdout is the log); point it at a buffer for the test, whatever pytest did to stdout since.
    streams = {h: h.stream for h in app_log.handlers if isinstance(h, logging.StreamHandler)}
    for stream_handler in streams:
        stream_handler.setStream(stdout)
    app_log.addHandler(handler)
    previous = app_log.log_level
    app_log.setLevel("DEBUG")
    caplog.set_level(logging.INFO)
    try:
        def read() -> str:
            out, err = capsys.readouterr()
            read.seen += out + err
            return "\n".join([read.seen, stdout.getvalue(), extra.getvalue(), caplog.text,
                              *(str(r.__dict__) for r in caplog.records)])
        read.seen = ""
        yield read
    finally:
        app_log.setLevel(previous)
        app_log.removeHandler(handler)
        for stream_handler, stream in streams.items():
            stream_handler.setStream(stream)


def _secrets_of(token: str) -> list[str]:
    """A token, its secret part (session tokens are `<client id>.<secret>`) and the hashes stored for it."""
    secret = token.removeprefix("Bearer ").split(".")[-1]
    return [token, secret, hash_secret(secret), hashlib.sha256(secret.encode()).hexdigest()[:32]]


def test_a_full_client_flow_logs_no_secret(api, portal, outbox, mailbox, agents, all_logs):
    manager = agents.token("manager@helpdesk.test", ["manage-tickets", "manage-clients"])
    secrets: dict[str, str] = {"agent Authorization": manager, "agent token signature": manager.rsplit(".", 1)[1],
                               "clients agent token": portal.agent_token}

    # Invited, activated (password set), logged in.
    portal.create_client("logs@acme.test")
    activation = portal.activation_token("logs@acme.test")
    assert api.get(f"/portal/activation/{activation}").status == 200
    activated = portal.activate("logs@acme.test", password=PASSWORD)
    assert activated.status == 200, activated.json
    assert portal.login("logs@acme.test", WRONG_PASSWORD).status == 401
    login = portal.login("logs@acme.test", PASSWORD)
    assert login.status == 200, login.json
    session = login.json["token"]
    bearer = portal.bearer(session)

    # A ticket, an agent's public reply, the client's reply.
    ticket = api.post("/portal/tickets", {"subject": "Invoice", "description": DESCRIPTION}, token=bearer)
    assert ticket.status == 201, ticket.json
    number = ticket.json["number"]
    reply = api.post(f"/agent/tickets/{number}/notes", {"body": AGENT_REPLY, "internal": False}, token=manager)
    assert reply.status == 201, reply.json
    answer = api.post(f"/portal/tickets/{number}/notes", {"body": CLIENT_REPLY}, token=bearer,
                      headers={"Idempotency-Key": "reply-1"})
    assert answer.status == 201, answer.json

    # Forgotten password: the reset link, a new password, a log-in with it.
    assert api.post("/portal/password/forgot", {"email": "logs@acme.test"}).status == 202
    reset = outbox.link_token("portal-password-reset", "logs@acme.test", "reset_url")
    assert api.post("/portal/password/reset", {"token": reset, "password": NEW_PASSWORD}).status == 204
    again = portal.login("logs@acme.test", NEW_PASSWORD)
    assert again.status == 200
    assert api.post("/portal/logout", token=portal.bearer(again.json["token"])).status == 204

    mailbox.deliver()  # the mail delivery path logs too
    sent = mailbox.messages(to="logs@acme.test")
    assert {m.template for m in sent} >= {"portal-welcome", "portal-password-reset"}, sent

    logs = all_logs()
    assert '"request"' in logs and "mail.sent" in logs, "the capture saw nothing: the test would prove nothing"
    secrets.update({"password": PASSWORD, "new password": NEW_PASSWORD, "wrong password": WRONG_PASSWORD,
                    "ticket description": DESCRIPTION, "agent reply": AGENT_REPLY, "client reply": CLIENT_REPLY})
    for name, token in (("activation", activation), ("session", session), ("reset", reset),
                        ("second session", again.json["token"])):
        for n, value in enumerate(_secrets_of(token)):
            secrets[f"{name} token ({['token', 'secret', 'stored hash', 'session key'][n]})"] = value
    for mail in sent:  # whatever the emails carried (links, note text) stays out of the logs
        for key, value in mail.data.items():
            if isinstance(value, str) and ("token=" in value or key.endswith("body")):
                secrets[f"email data {mail.template}.{key}"] = value
    leaked = sorted(name for name, value in secrets.items() if value and value in logs)
    assert not leaked, f"secrets found in the logs: {leaked}"
    assert "authorization" not in logs.lower().replace("authorization_", ""), "an Authorization header was logged"
