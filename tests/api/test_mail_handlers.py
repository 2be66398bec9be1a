"""The deployed mail path through the app's own Lambda handlers: the outbox stream handler
and the scheduled sweeper, invoked as Lambda would invoke them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chalicelib.config import get_config
from chalicelib.mail.templates import ses_template_name
from chalicelib.models.outbox import OutboxModel
from chalicelib.services import outbox
from tests.conftest import ROOT

TEMPLATE = "test-notice"


@pytest.fixture(autouse=True)
def notice_template(aws_stack):
    from chalicelib import aws

    aws.client("ses").create_template(Template={
        "TemplateName": ses_template_name(TEMPLATE, get_config().stage), "SubjectPart": "Notice",
        "TextPart": "{{text}}", "HtmlPart": "<p>{{text}}</p>"})


@pytest.fixture
def lambdas(app):
    from chalice.test import Client

    with Client(app, stage_name="local", project_dir=str(ROOT)) as client:
        yield client


def queue(recipient: str) -> OutboxModel:
    message = outbox.message(TEMPLATE, recipient, {"text": "hi"})
    message.save(condition=OutboxModel.id.does_not_exist())
    return message


def scheduled_event(client) -> dict:
    return client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                           resources=["arn:aws:events:us-east-1:123456789012:rule/sweep"])


def stream_event(*messages: OutboxModel) -> dict:
    records = []
    for n, message in enumerate(messages):
        image = OutboxModel.get(message.id, consistent_read=True).serialize()
        records.append({
            "eventID": f"e{n}", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/portico-test-outbox/stream/2026",
            "dynamodb": {"ApproximateCreationDateTime": 1764064800, "Keys": {"id": {"S": message.id}},
                         "NewImage": image, "SequenceNumber": str(100 + n), "SizeBytes": 300,
                         "StreamViewType": "NEW_IMAGE"},
        })
    return {"Records": records}


def test_the_stream_handler_sends_what_was_just_queued(lambdas, mailbox):
    first, second = queue("ana@acme.test"), queue("bob@acme.test")

    answer = lambdas.lambda_.invoke("deliver_outbox_stream", stream_event(first, second))

    assert answer.payload == {"sent": 2}
    assert sorted(m.to[0] for m in mailbox.messages(template=TEMPLATE)) == ["ana@acme.test", "bob@acme.test"]


def test_the_stream_handler_and_the_sweeper_together_send_each_email_once(lambdas, mailbox):
    message = queue("ana@acme.test")
    event = stream_event(message)

    lambdas.lambda_.invoke("deliver_outbox_stream", event)
    lambdas.lambda_.invoke("sweep_outbox", scheduled_event(lambdas))
    lambdas.lambda_.invoke("deliver_outbox_stream", event)  # Lambda redelivers a batch

    assert len(mailbox.messages(to="ana@acme.test")) == 1


def test_the_sweeper_sends_what_the_stream_missed(lambdas, mailbox):
    queue("ana@acme.test")

    answer = lambdas.lambda_.invoke("sweep_outbox", scheduled_event(lambdas))

    assert answer.payload == {"sent": 1}
    assert mailbox.one(template=TEMPLATE, to="ana@acme.test").data == {"text": "hi"}


def test_the_sweeper_retries_throttled_mail_on_a_later_run(lambdas, mailbox):
    queue("ana@acme.test")
    mailbox.fail_next(1, code="Throttling")

    assert lambdas.lambda_.invoke("sweep_outbox", scheduled_event(lambdas)).payload == {"retry": 1}
    assert mailbox.messages() == []
    mailbox.deliver_all()  # later runs, once the backoff has passed
    assert len(mailbox.messages(to="ana@acme.test")) == 1


def _import_app(env: dict[str, str]) -> str:
    code = ("import app\n"
            "[source] = [s for s in app.app.event_sources if hasattr(s, 'stream_arn')]\n"
            "print(source.stream_arn)")
    clean = {k: v for k, v in os.environ.items() if k != "PORTICO_OUTBOX_STREAM_ARN"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True,
                            text=True, timeout=60, check=True)
    return result.stdout.strip()


def test_the_app_imports_without_a_stream_arn_and_uses_the_configured_one_when_set():
    from chalicelib import config

    assert _import_app({}) == config.OUTBOX_STREAM_ARN_PLACEHOLDER
    real = "arn:aws:dynamodb:eu-west-1:111122223333:table/portico-prod-outbox/stream/2026-01-01T00:00:00.000"
    assert _import_app({"PORTICO_OUTBOX_STREAM_ARN": real}) == real
