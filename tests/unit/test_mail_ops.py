"""The ops command for the outbox (devtools/mail_ops.py → services/outbox_ops.py): lists
failed, expired, suppressed and stuck mail by recipient, template and time, and requeues
one, by recipient, or all since a time. Queries only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bench import dynamo
from chalicelib.models.outbox import OutboxModel
from chalicelib.services import mail_feedback, outbox, outbox_ops
from devtools import mail_ops
from devtools.mail_feedback import ses_event


def queue(to: str, template: str = "ticket-created", **data: object) -> OutboxModel:
    message = outbox.message(template, to, {"number": 1, **data})
    message.save()
    return message


@pytest.fixture
def troubled_outbox(mailbox, clock):
    """One message in each state ops care about, at known times."""
    mailbox.fail_next(1, code="InvalidParameterValue", message="Missing final '@domain'")
    failed = queue("bad@acme.test")
    mailbox.deliver()
    clock.advance(hours=2)
    expired = queue("late@acme.test", "portal-password-reset", expires_in_minutes=10)
    mailbox.fail_next(10_000, code="AccountSendingPausedException", message="paused")
    stuck = queue("ana@acme.test", "ticket-note-created")
    mailbox.deliver()
    clock.advance(minutes=20)
    mailbox.deliver()
    mail_feedback.handle_sns_message(ses_event("complaint", "ana@acme.test"))
    suppressed = queue("ana@acme.test", "ticket-resolved")
    mailbox.deliver()  # SES still paused: `stuck` stays pending, `suppressed` never reaches SES
    mailbox.recover()
    return {"failed": failed, "expired": expired, "stuck": stuck, "suppressed": suppressed}


def ids(items) -> set[str]:
    return {item.id for item in items}


def test_list_finds_each_state_and_filters_by_recipient_template_and_time(troubled_outbox, clock):
    t = troubled_outbox
    with dynamo.counting() as calls:
        everything = list(outbox_ops.find(outbox_ops.Filters()))
    assert {m.status for m in everything} >= {"failed", "expired", "suppressed", "pending"}
    assert not calls.scans
    for status in ("failed", "expired", "suppressed", "stuck"):
        assert t[status].id in ids(outbox_ops.find(outbox_ops.Filters((status,)))), status
    by_ana = outbox_ops.find(outbox_ops.Filters(recipient="ANA@acme.test"))
    assert ids(by_ana) == {t["stuck"].id, t["suppressed"].id}
    assert ids(outbox_ops.find(outbox_ops.Filters(template="portal-password-reset"))) == {t["expired"].id}
    recent = outbox_ops.find(outbox_ops.Filters(("failed", "expired", "suppressed"),
                                                since=clock.now() - timedelta(minutes=30)))
    assert ids(recent) == {t["expired"].id, t["suppressed"].id}


def test_requeue_by_recipient_and_by_status_since(troubled_outbox, mailbox, clock):
    t = troubled_outbox
    mail_feedback.clear("ana@acme.test", cleared_by="agent:ops")

    assert outbox_ops.requeue_matching(outbox_ops.Filters(recipient="ana@acme.test")) == [t["suppressed"].id]
    assert outbox_ops.requeue_matching(
        outbox_ops.Filters(("failed",), since=clock.now() - timedelta(minutes=1))) == [], "failed earlier"
    assert outbox_ops.requeue_matching(outbox_ops.Filters(("failed",), since=clock.now() - timedelta(days=1))) == [
        t["failed"].id]
    clock.advance(hours=1)
    mailbox.deliver()
    assert OutboxModel.get(t["suppressed"].id).status == "sent"
    assert OutboxModel.get(t["stuck"].id).status == "sent"


def test_the_command_line_lists_and_requeues(troubled_outbox, monkeypatch, capsys):
    monkeypatch.setattr(mail_ops, "use_stage", lambda stage: None)  # the test's stack is already set up
    t = troubled_outbox

    assert mail_ops.main(["list", "--status", "failed", "--status", "expired"]) == 0
    listed = capsys.readouterr().out
    assert t["failed"].id in listed and t["expired"].id in listed and t["suppressed"].id not in listed

    assert mail_ops.main(["requeue", t["expired"].id, "no-such-id"]) == 0
    out = capsys.readouterr()
    assert f"requeued {t['expired'].id}" in out.out and "no-such-id" in out.err
    assert mail_ops.main(["requeue"]) == 2


def test_since_takes_an_iso_time_or_an_age():
    from datetime import UTC, datetime

    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert mail_ops.parse_since("6h", now) == datetime(2026, 5, 1, 6, 0, tzinfo=UTC)
    assert mail_ops.parse_since("30m", now) == datetime(2026, 5, 1, 11, 30, tzinfo=UTC)
    assert mail_ops.parse_since("2026-04-30T08:00", now) == datetime(2026, 4, 30, 8, 0, tzinfo=UTC)
    assert mail_ops.parse_since(None, now) is None


def test_a_deployed_stage_uses_its_own_tables(monkeypatch):
    monkeypatch.setenv("PORTICO_AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("PORTICO_STAGE", "test")
    from chalicelib import aws, config

    try:
        mail_ops.use_stage("prod")
        import os

        assert config.table_name("outbox") == "portico-prod-outbox"
        assert "PORTICO_AWS_ENDPOINT_URL" not in os.environ
    finally:
        monkeypatch.undo()
        config.reset()
        aws.reset()
