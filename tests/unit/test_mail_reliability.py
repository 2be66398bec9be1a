"""Fault injection: SES answering each error class for a while, then recovering. Every
message is delivered exactly once or expired by its deadline; none lost, none doubled.
Feedback (bounces, complaints) changes what is sent next."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from chalicelib import aws
from chalicelib.ids import iso
from chalicelib.models.outbox import OutboxModel
from chalicelib.services import mail_delivery, mail_feedback, mail_policy, outbox
from devtools.mail_feedback import ses_event

SWEEP_EVERY = timedelta(minutes=10)

# (error class, code, message, HTTP status) as SES answers them.
RETRIED = [
    ("throttling", "Throttling", "Maximum sending rate exceeded.", 400),
    ("throttling", "Throttling", "Daily message quota exceeded.", 400),
    ("sending paused", "AccountSendingPausedException", "Sending is paused for this account.", 400),
    ("sending paused", "ConfigurationSetSendingPausedException", "Sending is paused for this set.", 400),
    ("template missing", "TemplateDoesNotExist", "Template (ticket-created) does not exist", 400),
    ("configuration set missing", "ConfigurationSetDoesNotExist", "Configuration set <x> does not exist.", 400),
    ("sender not verified", "MessageRejected", "Email address is not verified. The following identities failed "
                                               "the check in region US-EAST-1: support@portico.test", 400),
    ("sender not verified", "MessageRejected", "Email address is not verified. The following identities failed "
                                               "the check in region US-EAST-1: ana@acme.test", 400),  # sandbox
    ("sender not verified", "MailFromDomainNotVerifiedException", "MAIL FROM domain not verified", 400),
    ("service error", "InternalFailure", "Internal failure", 500),
    ("service error", "ServiceUnavailable", "Service unavailable", 503),
]
FAILED_AT_ONCE = [
    ("invalid or suppressed recipient", "InvalidParameterValue", "Missing final '@domain'", 400),
    ("invalid or suppressed recipient", "MessageRejected", "Address blacklisted.", 400),
    ("message rejected for content", "MessageRejected", "Message rejected: contains a virus", 400),
]


@pytest.fixture
def login_code_template(aws_stack):
    """The login-code mail is not built yet: a stand-in template so it can be sent."""
    aws.client("ses").create_template(Template={
        "TemplateName": "portal-login-code", "SubjectPart": "Your code", "TextPart": "{{code}}",
        "HtmlPart": "<p>{{code}}</p>"})


def queue_each_kind(now: datetime) -> dict[str, OutboxModel]:
    """One message of each kind of mail, with its template's deadline."""
    kinds = {
        "ticket": ("ticket-created", {"number": 7, "subject": "Printer", "portal_url": "http://p"}),
        "welcome": ("portal-welcome", {"name": "Ana", "activation_url": "http://p/a", "expires_in_hours": 72}),
        "reset": ("portal-password-reset", {"name": "Ana", "reset_url": "http://p/r", "expires_in_minutes": 60}),
        "login": ("portal-login-code", {"code": "123456"}),
    }
    queued = {}
    for kind, (template, data) in kinds.items():
        message = outbox.message(template, f"{kind}@acme.test", data, reason=f"test:{kind}")
        message.save(condition=OutboxModel.id.does_not_exist())
        queued[kind] = message
    return queued


def sweep_until(mailbox, clock, hours: float) -> None:
    for _ in range(int(timedelta(hours=hours) / SWEEP_EVERY)):
        mailbox.deliver()
        clock.advance(seconds=SWEEP_EVERY.total_seconds())


def status(message: OutboxModel) -> OutboxModel:
    return OutboxModel.get(message.id, consistent_read=True)


@pytest.mark.parametrize("error_class, code, text, http", RETRIED + FAILED_AT_ONCE)
def test_each_ses_answer_has_its_class_in_the_table(error_class, code, text, http):
    found = mail_policy.classify_ses_error(code, text, http)
    assert found.name == error_class
    assert found.outcome == (mail_policy.RETRY if (error_class, code, text, http) in RETRIED else mail_policy.FAIL)


ONE_PER_RETRIED_CLASS = [RETRIED[0], RETRIED[2], RETRIED[4], RETRIED[5], RETRIED[6], RETRIED[7], RETRIED[9]]


@pytest.mark.parametrize("error_class, code, text, http", ONE_PER_RETRIED_CLASS,
                         ids=["throttling", "paused", "template", "configuration-set", "sender", "sandbox", "5xx"])
def test_what_ops_can_fix_is_retried_and_catches_up_by_itself_or_expires_at_its_deadline(
        mailbox, clock, login_code_template, error_class, code, text, http):
    assert mail_policy.classify_ses_error(code, text, http).name == error_class
    queued = queue_each_kind(clock.now())
    mailbox.fail_next(10_000, code=code, status=http, message=text)

    sweep_until(mailbox, clock, hours=2)  # SES refuses for two hours
    assert {k: status(m).status for k, m in queued.items()} == {
        "ticket": "pending", "welcome": "pending", "reset": "expired", "login": "expired"}
    mailbox.recover()  # the cause is fixed: nobody does anything else
    sweep_until(mailbox, clock, hours=0.5)

    final = {k: status(m) for k, m in queued.items()}
    assert {k: m.status for k, m in final.items()} == {
        "ticket": "sent", "welcome": "sent", "reset": "expired", "login": "expired"}
    for kind in queued:
        assert len(mailbox.messages(to=f"{kind}@acme.test")) == (1 if kind in ("ticket", "welcome") else 0)
    for expired in (final["reset"], final["login"]):
        assert expired.attention == "expired" and expired.pending is None
        assert error_class in expired.last_error
    assert not mailbox.queued(status="pending") and not mailbox.queued(status="sending"), "none lost"


@pytest.mark.parametrize("error_class, code, text, http", FAILED_AT_ONCE, ids=[r[2][:20] for r in FAILED_AT_ONCE])
def test_a_recipients_own_permanent_problem_fails_at_once_and_the_rest_still_goes_out(
        mailbox, clock, error_class, code, text, http):
    assert mail_policy.classify_ses_error(code, text, http).name == error_class
    bad = outbox.message("ticket-created", "bad@acme.test", {"number": 1}, reason="test:bad")
    bad.save()
    mailbox.fail_next(1, code=code, status=http, message=text)
    mailbox.deliver()
    good = outbox.message("ticket-created", "good@acme.test", {"number": 1}, reason="test:good")
    good.save()

    sweep_until(mailbox, clock, hours=1)

    assert status(bad).status == "failed" and status(bad).attention == "failed"
    assert mailbox.send_calls == 2, "the failed one was tried once, not hammered"
    assert [m.to for m in mailbox.messages()] == [["good@acme.test"]]


def test_an_unknown_error_is_retried_until_the_deadline():
    assert mail_policy.classify_ses_error("SomethingNew", "?", 400).outcome == mail_policy.RETRY


def test_deadlines_come_from_the_template_table_and_are_stored_when_queued(clock):
    cases = {
        "portal-login-code": ({}, timedelta(minutes=10)),
        "portal-password-reset": ({"expires_in_minutes": 30}, timedelta(minutes=30)),
        "portal-welcome": ({"expires_in_hours": 48}, timedelta(hours=48)),
        "portal-signup-verify": ({"expires_in_hours": 24}, timedelta(hours=24)),
        "ticket-note-created": ({}, timedelta(hours=48)),
        "anything-else": ({}, timedelta(hours=24)),
    }
    for template, (data, life) in cases.items():
        message = outbox.message(template, "ana@acme.test", data)
        stored_deadline = datetime.fromisoformat(message.deliver_by)
        assert abs(stored_deadline - (message.created_at + life)) < timedelta(seconds=1), template
    assert mail_policy.deadline_for("ticket-created").retry_for >= timedelta(hours=24)
    assert mail_policy.deadline_for("prod-portal-login-code").retry_for == timedelta(minutes=10), "stage prefix"


def test_a_message_queued_before_deadlines_existed_gets_its_templates_rule(mailbox, clock):
    message = outbox.message("portal-password-reset", "ana@acme.test", {"expires_in_minutes": 60})
    message.deliver_by = None
    message.save()
    clock.advance(minutes=61)

    assert mailbox.deliver() == {"expired": 1}, "not sent late"
    assert mailbox.messages() == []


def test_a_message_whose_delivery_keeps_crashing_ends_at_its_deadline(mailbox, clock):
    message = outbox.message("ticket-created", "ana@acme.test", {"number": 1})
    message.save()
    for _ in range(60):  # a deliverer claims, then dies, every time
        mail_delivery._claim(message.id, clock.now())
        clock.advance(hours=1)

    assert mailbox.deliver() == {"expired": 1}
    assert mailbox.messages() == []


def test_the_sweeper_reports_the_age_of_the_oldest_undelivered_message(mailbox, clock, monkeypatch):
    reported = []
    monkeypatch.setattr(mail_delivery, "count_metric",
                        lambda name, value=1, unit="Count": reported.append((name, value)))
    assert mail_delivery.oldest_undelivered_age(clock.now()) == 0
    outbox.message("ticket-created", "old@acme.test", {"number": 1}).save()
    clock.advance(minutes=10)
    outbox.message("ticket-created", "new@acme.test", {"number": 2}).save()
    mailbox.fail_next(10_000, code="TemplateDoesNotExist", message="no template")
    clock.advance(minutes=10)

    mailbox.deliver()

    ages = [value for name, value in reported if name == "OldestUndeliveredAgeSeconds"]
    assert ages == [pytest.approx(20 * 60, abs=5)], "the oldest queued one, whatever its retry time"
    mailbox.recover()
    clock.advance(hours=1)
    mailbox.deliver()
    assert mail_delivery.oldest_undelivered_age(clock.now()) == 0


# --- feedback --------------------------------------------------------------------------------


def ticket_mail(to: str, reason: str) -> OutboxModel:
    message = outbox.message("ticket-note-created", to, {"number": 3}, reason=reason)
    message.save()
    return message


@pytest.mark.parametrize("kind, stops, stored_status", [
    ("bounce", True, "bouncing"), ("complaint", True, "complained"),
    ("soft-bounce", False, "ok"), ("delivery", False, None), ("reject", False, None)])
def test_each_kind_of_feedback_changes_what_is_sent_next(mailbox, kind, stops, stored_status):
    first = ticket_mail("ana@acme.test", "note:1")
    mailbox.deliver()
    assert status(first).status == "sent"

    mail_feedback.handle_sns_message(json.dumps(ses_event(kind, "Ana@Acme.test", outbox_id=first.id)))

    second = ticket_mail("ana@acme.test", "note:2")
    other = ticket_mail("bob@acme.test", "note:2")
    mailbox.deliver()
    assert status(second).status == ("suppressed" if stops else "sent")
    assert status(second).attention == ("suppressed" if stops else None)
    assert status(other).status == "sent", "other addresses are unaffected"
    assert len(mailbox.messages(to="ana@acme.test")) == (1 if stops else 2)
    assert mail_feedback.stopped_status("ANA@acme.test") == (stored_status if stops else None)


@pytest.mark.usefixtures("aws_stack")
def test_soft_bounces_are_counted_and_a_complaint_outranks_a_bounce():
    from chalicelib.models.users import UserModel, address_item_id

    for kind in ("soft-bounce", "soft-bounce", "bounce", "complaint", "bounce"):
        mail_feedback.handle_sns_message(ses_event(kind, "ana@acme.test"))

    item = UserModel.get(address_item_id("ana@acme.test"))
    assert (item.soft_bounces, item.hard_bounces, item.complaints) == (2, 2, 1)
    assert item.email_status == "complained"


def test_clearing_an_address_lets_mail_go_out_again_and_ops_can_requeue_what_was_suppressed(mailbox):
    mail_feedback.handle_sns_message(ses_event("bounce", "ana@acme.test"))
    skipped = ticket_mail("ana@acme.test", "note:1")
    mailbox.deliver()
    assert status(skipped).status == "suppressed"

    mail_feedback.clear("ana@acme.test", cleared_by="agent:ops")
    later = ticket_mail("ana@acme.test", "note:2")
    mailbox.deliver()
    assert status(later).status == "sent"
    assert status(skipped).status == "suppressed", "skipped mail is not sent behind the agent's back"
    assert mail_delivery.requeue(skipped.id) is True
    mailbox.deliver()
    assert len(mailbox.messages(to="ana@acme.test")) == 2


def test_the_sns_handler_takes_the_event_as_ses_publishes_it(mailbox):
    from app import handle_mail_feedback
    from devtools.mail_feedback import sns_event

    assert handle_mail_feedback(sns_event(ses_event("complaint", "ana@acme.test")), None) == {"complained": 1}
    assert handle_mail_feedback(sns_event(ses_event("complaint", "ana@acme.test")), None) == {
        "already_complained": 1}
    assert mail_feedback.stopped_status("ana@acme.test") == "complained"


def test_requeue_restarts_the_clock_but_never_touches_sent_or_pending_mail(mailbox, clock):
    message = outbox.message("portal-password-reset", "ana@acme.test", {"expires_in_minutes": 60})
    message.save()
    clock.advance(hours=2)
    mailbox.deliver()
    assert status(message).status == "expired"

    assert mail_delivery.requeue(message.id) is True
    assert mail_delivery.requeue(message.id) is False, "pending now"
    item = status(message)
    assert item.attention is None and item.attempts == 0
    assert item.deliver_by > iso(clock.now())
    mailbox.deliver()
    assert status(message).status == "sent"
    assert mail_delivery.requeue(message.id) is False
