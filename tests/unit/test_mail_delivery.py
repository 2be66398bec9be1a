"""Outbox delivery: every queued email reaches SES exactly once, whatever SES or the
deliverers do (throttling, permanent errors, concurrency, crashes, DynamoDB hiccups)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from pynamodb.exceptions import PutError

from chalicelib import aws
from chalicelib.config import get_config
from chalicelib.ids import iso, utcnow
from chalicelib.mail.templates import ses_template_name
from chalicelib.models.outbox import OutboxModel, pending_key
from chalicelib.services import mail_delivery, outbox

TEMPLATE = "test-greeting"


@pytest.fixture(autouse=True)
def greeting_template(aws_stack):
    aws.client("ses").create_template(Template={
        "TemplateName": ses_template_name(TEMPLATE, get_config().stage), "SubjectPart": "Hello {{name}}",
        "TextPart": "Hello {{name}}, open {{link}}", "HtmlPart": "<p>Hello {{name}}, open {{link}}</p>",
    })


def queue(recipient: str, template: str = TEMPLATE, reason: str | None = None, **data: object) -> OutboxModel:
    message = outbox.message(template, recipient, {"name": "Ana", **data}, reason=reason)
    message.save(condition=OutboxModel.id.does_not_exist())
    return message


def stored(message: OutboxModel) -> OutboxModel:
    return OutboxModel.get(message.id, consistent_read=True)


def test_queued_mail_is_not_sent_until_delivery_runs(mailbox):
    queue("ana@acme.test")
    assert mailbox.messages() == []
    assert [m.status for m in mailbox.queued()] == ["pending"]


def test_a_queued_message_is_sent_once_with_its_template_and_data(mailbox):
    message = queue("ana@acme.test", link="http://portal.test/portal/activate#t=abc")

    assert mailbox.deliver() == {"sent": 1}

    mail = mailbox.one(template=TEMPLATE, to="ana@acme.test")
    assert mail.data == {"name": "Ana", "link": "http://portal.test/portal/activate#t=abc"}
    assert mail.source == "support@portico.test"
    item = stored(message)
    assert item.status == "sent" and item.message_id == mail.ses_message_id
    assert item.pending is None and item.claim_token is None and item.attempts == 1
    assert item.sent_at is not None
    assert item.expires_at == pytest.approx((item.sent_at + timedelta(days=30)).timestamp(), abs=1)

    assert mailbox.deliver() == {}
    assert len(mailbox.messages()) == 1


def test_throttling_then_recovery_delivers_every_email_exactly_once(mailbox):
    recipients = [f"client{n}@acme.test" for n in range(5)]
    for recipient in recipients:
        queue(recipient)
    mailbox.fail_next(7, code="Throttling")

    mailbox.deliver_all()

    assert sorted(a for m in mailbox.messages(template=TEMPLATE) for a in m.to) == recipients
    assert mailbox.send_calls == 5 + 7
    assert {m.status for m in mailbox.queued()} == {"sent"}


def test_a_throttled_message_waits_for_its_backoff_then_is_sent(mailbox):
    message = queue("ana@acme.test")
    mailbox.fail_next(1, code="Throttling")
    before = utcnow()

    assert mailbox.deliver() == {"retry": 1}

    item = stored(message)
    assert item.status == "pending" and item.pending == "pending" and item.attempts == 1
    assert item.last_error.startswith("Throttling")
    assert item.next_attempt_at > iso(before)
    assert mailbox.deliver() == {}, "not due yet: the backoff is honoured"
    assert mailbox.deliver(at=utcnow() + timedelta(minutes=5)) == {"sent": 1}
    assert len(mailbox.messages(to="ana@acme.test")) == 1
    assert stored(message).attempts == 2


@pytest.mark.parametrize("attempts, low, high", [(1, 2.5, 5), (2, 5, 10), (4, 20, 40), (20, 450, 900)])
def test_backoff_grows_exponentially_with_jitter_up_to_a_cap(attempts, low, high):
    for _ in range(20):
        assert low <= mail_delivery.backoff_seconds(attempts) <= high


def test_a_missing_template_is_retried_until_ops_restore_it_then_sent_once(mailbox):
    message = queue("ana@acme.test", template="late-template")

    assert mailbox.deliver() == {"retry": 1}
    item = stored(message)
    assert item.status == "pending" and item.pending == "pending"
    assert "TemplateDoesNotExist" in item.last_error and "template missing" in item.last_error
    aws.client("ses").create_template(Template={"TemplateName": ses_template_name("late-template", get_config().stage),
                                                "SubjectPart": "Hi", "TextPart": "Hi", "HtmlPart": "<p>Hi</p>"})

    mailbox.deliver_all()

    assert len(mailbox.messages(template="late-template", to="ana@acme.test")) == 1
    assert stored(message).status == "sent"


def test_an_invalid_recipient_fails_at_once_and_other_mail_still_goes_out(mailbox):
    rejected = queue("bounce@acme.test")
    queue("ana@acme.test")
    mailbox.fail_next(1, code="InvalidParameterValue", message="Missing final '@domain'")

    mailbox.deliver_all()

    item = stored(rejected)
    assert item.status == "failed" and item.pending is None and item.failed_at is not None
    assert item.attention == "failed", "listed for ops"
    assert [m.to for m in mailbox.messages()] == [["ana@acme.test"]]
    assert mailbox.send_calls == 2


def test_a_server_error_is_retried(mailbox):
    queue("ana@acme.test")
    mailbox.fail_next(2, code="InternalFailure", status=500)

    mailbox.deliver_all()

    assert len(mailbox.messages(to="ana@acme.test")) == 1


def test_throttling_that_never_ends_expires_the_message_at_its_deadline_and_keeps_it(mailbox):
    message = queue("ana@acme.test")
    mailbox.fail_next(10_000, code="Throttling")

    mailbox.deliver_all()

    item = stored(message)
    assert item.status == "expired" and item.attention == "expired"
    assert item.pending is None and item.expires_at is None, "expired mail is kept for ops"
    assert mailbox.messages() == []


def test_two_concurrent_deliverers_send_a_message_once(mailbox):
    message = queue("ana@acme.test")
    mailbox.slow_sends(0.5)  # the first deliverer is still sending when the second tries
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def deliverer() -> None:
        start.wait()
        outcomes.append(mail_delivery.deliver(message.id))

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["sent", "skipped"]
    assert len(mailbox.messages(to="ana@acme.test")) == 1


def test_a_stale_sweeper_read_after_the_stream_delivered_sends_nothing_more(mailbox):
    message = queue("ana@acme.test")
    [seen_by_sweeper] = OutboxModel.pending_by_due.query(pending_key(message.id))  # read before the stream ran

    assert mail_delivery.deliver(message.id) == "sent"  # the stream handler
    assert mail_delivery.deliver(seen_by_sweeper.id, seen_status=seen_by_sweeper.status) == "skipped"
    assert mailbox.deliver() == {}
    assert len(mailbox.messages()) == 1


def test_a_crashed_delivery_is_retried_once_its_lease_expires(mailbox):
    message = queue("ana@acme.test")
    assert mail_delivery._claim(message.id, utcnow()) is not None  # a deliverer claims, then dies

    assert mailbox.deliver() == {}, "the claim is still live: nobody else sends"
    later = utcnow() + mail_delivery.LEASE + timedelta(seconds=1)
    assert mailbox.deliver(at=later) == {"sent": 1}
    assert len(mailbox.messages()) == 1
    assert stored(message).attempts == 2


def test_a_dynamodb_hiccup_when_recording_the_outcome_does_not_cause_a_resend(mailbox):
    from botocore.awsrequest import AWSResponse

    message = queue("ana@acme.test")
    dynamodb = OutboxModel._get_connection().connection.client
    hiccups = {"left": 2}

    def fail_recording_sent(params, **_):
        if b'"sent"' in params["body"] and hiccups["left"]:
            hiccups["left"] -= 1
            error = {"Error": {"Code": "InternalServerError", "Message": "try again"},
                     "ResponseMetadata": {"HTTPStatusCode": 500, "HTTPHeaders": {}}}
            return AWSResponse("http://dynamodb", 500, {}, None), error
        return None

    dynamodb.meta.events.register("before-call.dynamodb.UpdateItem", fail_recording_sent, unique_id="hiccup")
    try:
        assert mailbox.deliver() == {"sent": 1}
    finally:
        dynamodb.meta.events.unregister("before-call.dynamodb.UpdateItem", unique_id="hiccup")

    assert hiccups["left"] == 0
    assert stored(message).status == "sent"
    mailbox.deliver_all()
    assert len(mailbox.messages()) == 1


def test_data_that_is_not_json_fails_without_calling_ses(mailbox):
    message = queue("ana@acme.test")
    OutboxModel(message.id).update(actions=[OutboxModel.data.set("{not json")])

    mailbox.deliver_all()

    assert stored(message).status == "failed"
    assert mailbox.send_calls == 0


def test_the_sweeper_stops_before_the_deadline(mailbox):
    queue("ana@acme.test")
    queue("bob@acme.test")
    budget = iter([30.0, 30.0, 1.0, 1.0, 1.0])  # plenty for the first, then nearly out of time

    outcomes = mail_delivery.deliver_due(time_left=lambda: next(budget))

    assert outcomes == {"sent": 1, "deferred": 1}
    assert len(mailbox.messages()) == 1
    assert mailbox.deliver() == {"sent": 1}


def test_queuing_the_same_cause_twice_sends_one_email(mailbox):
    queue("ana@acme.test", reason="client:1:invite")
    with pytest.raises(PutError):  # the conditional put refuses the duplicate
        queue("ana@acme.test", reason="client:1:invite")

    mailbox.deliver_all()

    assert len(mailbox.messages(to="ana@acme.test")) == 1


def _stream_record(message: OutboxModel, event_name: str = "INSERT") -> dict:
    item = OutboxModel.get(message.id, consistent_read=True)
    image = item.serialize()
    return {"eventName": event_name, "dynamodb": {"Keys": {"id": {"S": item.id}}, "NewImage": image}}


def test_the_stream_path_sends_new_pending_messages_and_ignores_the_rest(mailbox):
    new = queue("ana@acme.test")
    throttled = queue("bob@acme.test")
    mailbox.fail_next(1)
    mail_delivery.deliver(throttled.id)  # now pending again, due only after its backoff

    records = [_stream_record(new), _stream_record(throttled, "MODIFY"),
               {"eventName": "REMOVE", "dynamodb": {"Keys": {"id": {"S": "gone"}}}},
               {"eventName": "INSERT", "dynamodb": {"NewImage": {"status": {"S": "pending"}}}},  # malformed
               {"eventName": "INSERT"}]
    outcomes = mail_delivery.deliver_stream_records(records)

    assert outcomes == {"sent": 1}
    assert [m.to for m in mailbox.messages()] == [["ana@acme.test"]]
    assert json.loads(stored(new).data)["name"] == "Ana"
    assert mail_delivery.deliver_stream_records([_stream_record(new, "MODIFY")]) == {}, "sent: not pending"


def test_when_the_outcome_cannot_be_recorded_the_email_is_sent_again_after_the_lease(mailbox):
    """The documented choice for the one ambiguous window: at-least-once, never lost."""
    from botocore.awsrequest import AWSResponse

    queue("ana@acme.test")
    dynamodb = OutboxModel._get_connection().connection.client

    def dynamodb_down_after_the_send(params, **_):
        if b'"sent"' in params["body"]:
            error = {"Error": {"Code": "InternalServerError", "Message": "down"},
                     "ResponseMetadata": {"HTTPStatusCode": 500, "HTTPHeaders": {}}}
            return AWSResponse("http://dynamodb", 500, {}, None), error
        return None

    dynamodb.meta.events.register("before-call.dynamodb.UpdateItem", dynamodb_down_after_the_send, unique_id="down")
    try:
        mailbox.deliver()
    finally:
        dynamodb.meta.events.unregister("before-call.dynamodb.UpdateItem", unique_id="down")

    [item] = mailbox.queued()
    assert item.status == "sending", "the claim stands until its lease expires"
    assert mailbox.deliver() == {}, "nobody resends while the lease runs"
    mailbox.deliver_all()
    assert len(mailbox.messages(to="ana@acme.test")) == 2
    assert mailbox.queued()[0].status == "sent"


def test_a_given_up_message_is_logged_for_ops_without_personal_data(mailbox, caplog):
    message = queue("ana@acme.test", secret_link="http://portal.test/t=abc")
    mailbox.fail_next(1, code="MessageRejected", message="Address blacklisted.")

    mailbox.deliver()

    [failed] = [r for r in caplog.records if r.getMessage() == "mail.failed"]
    assert failed.levelname == "ERROR" and failed.outbox_id == message.id
    assert failed.template == TEMPLATE and "invalid or suppressed recipient" in failed.error
    logged = " ".join(str(vars(r)) for r in caplog.records)
    assert "ana@acme.test" not in logged and "t=abc" not in logged


def test_ops_can_requeue_a_failed_message_but_never_a_sent_one(mailbox):
    failed = queue("ana@acme.test", template="late-template")
    mailbox.fail_next(1, code="MessageRejected", message="Message rejected: illegal content")
    mailbox.deliver()
    assert stored(failed).status == "failed"
    sent = queue("bob@acme.test")
    mailbox.deliver()
    aws.client("ses").create_template(Template={"TemplateName": ses_template_name("late-template", get_config().stage),
                                                "SubjectPart": "Hi",
                                                "TextPart": "Hi", "HtmlPart": "<p>Hi</p>"})

    assert mail_delivery.requeue(failed.id) is True
    assert mail_delivery.requeue(sent.id) is False
    assert mail_delivery.requeue("no-such-message") is False
    mailbox.deliver()

    assert len(mailbox.messages(template="late-template", to="ana@acme.test")) == 1
    assert len(mailbox.messages(to="bob@acme.test")) == 1


def test_a_configuration_set_is_used_when_configured_and_tags_carry_the_outbox_id(mailbox, monkeypatch):
    from chalicelib import config

    message = queue("ana@acme.test")
    monkeypatch.setenv("PORTICO_MAIL_CONFIGURATION_SET", "portico-events")
    config.reset()
    requests_seen = []
    client = mail_delivery.ses_client()
    client.meta.events.register("provide-client-params.ses.SendTemplatedEmail",
                                lambda params, **_: requests_seen.append(dict(params)), unique_id="seen")
    try:
        assert mailbox.deliver() == {"sent": 1}
    finally:
        client.meta.events.unregister("provide-client-params.ses.SendTemplatedEmail", unique_id="seen")
        monkeypatch.delenv("PORTICO_MAIL_CONFIGURATION_SET")
        config.reset()

    [request] = requests_seen
    assert request["ConfigurationSetName"] == "portico-events"
    assert {"Name": "outbox_id", "Value": message.id} in request["Tags"]
    assert request["Source"] == "support@portico.test" and request["Destination"] == {"ToAddresses": ["ana@acme.test"]}


def test_the_mailbox_explains_why_an_expected_email_is_missing(mailbox):
    queue("ana@acme.test", template="misspelled-template")
    mailbox.deliver()

    with pytest.raises(AssertionError, match="misspelled-template', 'pending', 'TemplateDoesNotExist"):
        mailbox.one(to="ana@acme.test")
