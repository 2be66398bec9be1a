"""Mail in `make run`'s stack: the background worker sends queued mail within 2 s, and
`make mail` (devtools/mail.py) shows it with its template data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import boto3
import pytest

from chalicelib.mail.templates import ses_template_name
from chalicelib.models.outbox import pending_key
from tests.conftest import ROOT
from tests.e2e.test_local_stack import local_stack  # noqa: F401 - the module-scoped stack fixture


def _aws(state: dict, service: str):
    return boto3.client(service, region_name=state["region"], endpoint_url=state["aws_endpoint_url"],
                        aws_access_key_id="x", aws_secret_access_key="x")


def _queue(state: dict, message_id: str, recipient: str, data: dict) -> None:
    """Queue a message exactly as the app's outbox does (same item shape), from outside."""
    now = datetime.now(UTC)
    _aws(state, "dynamodb").put_item(TableName="portico-local-outbox", Item={
        "id": {"S": message_id}, "template": {"S": "e2e-welcome"}, "recipient": {"S": recipient},
        "data": {"S": json.dumps(data)}, "status": {"S": "pending"}, "pending": {"S": "pending"},
        "pending_shard": {"S": pending_key(message_id)},
        "next_attempt_at": {"S": now.isoformat(timespec="seconds").replace("+00:00", "Z")},
        "attempts": {"N": "0"}, "created_at": {"S": now.strftime("%Y-%m-%dT%H:%M:%S.%f+0000")},
    })


def _sent_to(state: dict, recipient: str) -> list[dict]:
    from devtools.mail import sent_mail

    return [m for m in sent_mail(state["aws_endpoint_url"], state["region"]) if recipient in m["to"]]


@pytest.fixture(scope="module")
def welcome_template(local_stack):  # noqa: F811
    state, _ = local_stack
    _aws(state, "ses").create_template(Template={
        "TemplateName": ses_template_name("e2e-welcome", "local"), "SubjectPart": "Welcome",
        "TextPart": "Open {{link}}",
        "HtmlPart": "<a href=\"{{link}}\">Open</a>"})
    return state


def _outbox_item(state: dict, message_id: str) -> dict:
    return _aws(state, "dynamodb").get_item(TableName="portico-local-outbox", Key={"id": {"S": message_id}},
                                            ConsistentRead=True).get("Item") or {}


def _stamp(value: dict) -> datetime:
    return datetime.strptime(value["S"], "%Y-%m-%dT%H:%M:%S.%f%z")


def test_the_local_worker_sends_queued_mail_within_two_seconds(welcome_template):
    state = welcome_template
    _queue(state, "e2e-1", "ana@acme.example", {"link": "http://127.0.0.1/portal/activate#t=abc"})
    deadline = time.monotonic() + 10
    while _outbox_item(state, "e2e-1").get("status", {}).get("S") != "sent" and time.monotonic() < deadline:
        time.sleep(0.05)

    # The promise is measured by the stack's own clock: queued (created_at, written above)
    # to handed to SES (sent_at, written by the worker once SES accepted it). Timing the
    # test's polling instead would count how long moto takes to dump all its state.
    item = _outbox_item(state, "e2e-1")
    assert item.get("status", {}).get("S") == "sent", item
    elapsed = (_stamp(item["sent_at"]) - _stamp(item["created_at"])).total_seconds()
    assert elapsed < 2.0, f"took {elapsed:.2f} s"
    sent = _sent_to(state, "ana@acme.example")
    assert len(sent) == 1, "sent exactly once"
    assert sent[0]["template"] == "e2e-welcome"
    assert sent[0]["data"] == {"link": "http://127.0.0.1/portal/activate#t=abc"}
    time.sleep(1.2)  # more worker turns: still once
    assert len(_sent_to(state, "ana@acme.example")) == 1


def test_make_mail_prints_what_was_sent(welcome_template, tmp_path):
    state = welcome_template
    _queue(state, "e2e-2", "bob@acme.example", {"link": "http://127.0.0.1/portal/activate#t=bob"})
    deadline = time.monotonic() + 5
    while not _sent_to(state, "bob@acme.example") and time.monotonic() < deadline:
        time.sleep(0.1)
    (tmp_path / "stack.json").write_text(json.dumps(state))

    env = {**os.environ, "PORTICO_STATE_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "devtools.mail", "--to", "bob@acme.example"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60, check=True)

    assert "e2e-welcome  →  bob@acme.example" in result.stdout
    assert "link: http://127.0.0.1/portal/activate#t=bob" in result.stdout
    assert "(time unknown)" not in result.stdout, "the send time comes from the outbox"
    assert "ana@acme.example" not in result.stdout


def test_make_mail_says_so_when_no_stack_runs(tmp_path):
    env = {**os.environ, "PORTICO_STATE_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "devtools.mail"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1 and "make run" in result.stderr


def test_make_mail_feedback_stops_mail_to_a_bouncing_address_and_make_mail_ops_lists_it(welcome_template, tmp_path):
    state = welcome_template
    (tmp_path / "stack.json").write_text(json.dumps(state))
    env = {**os.environ, "PORTICO_STATE_DIR": str(tmp_path)}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120, check=True)

    answer = run("devtools.mail_feedback", "--email", "carl@acme.example", "--type", "bounce").stdout
    assert json.loads(answer.strip().splitlines()[-1]) == {"bouncing": 1}, "its last line (logs come first)"
    _queue(state, "e2e-3", "carl@acme.example", {"link": "http://127.0.0.1/portal/activate#t=carl"})
    deadline = time.monotonic() + 10
    while _outbox_item(state, "e2e-3").get("status", {}).get("S") != "suppressed" and time.monotonic() < deadline:
        time.sleep(0.1)

    assert _outbox_item(state, "e2e-3")["status"]["S"] == "suppressed"
    assert _sent_to(state, "carl@acme.example") == []
    listed = run("devtools.mail_ops", "list", "--status", "suppressed", "--recipient", "carl@acme.example").stdout
    assert listed.startswith("e2e-3  suppressed  e2e-welcome  carl@acme.example")
