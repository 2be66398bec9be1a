"""Outbox → SES: delivers each queued email exactly once in all but one narrow window.

Every message goes through the same three steps, whoever delivers it (the DynamoDB
stream handler, the scheduled sweeper, the local worker, a test):

1. **Claim** with one conditional UpdateItem: `pending` (and due) or `sending` with an
   expired lease → `sending`, a fresh `claim_token`, `attempts + 1`, `lease_until` = the
   lease's expiry (`next_attempt_at`, the index's sort key, stays: a claim writes no index
   entry), `claimed_from` = the status it found. Only one deliverer can win this write, so two
   concurrent deliverers (stream + sweeper, two sweepers) never both send. The sparse
   `pending` attribute stays while sending: a deliverer that crashes leaves an item that
   the sweeper finds due again once the lease expires, so nothing is lost.
2. **Send** with SES `SendTemplatedEmail` (template + the stored JSON data; nothing is
   rendered here). botocore's own retries are off for this call, so a request that may
   have reached SES is never resent behind our back.
3. **Record** the outcome with an UpdateItem conditioned on still holding the claim:
   `sent` (SES message id, `sent_at`, TTL, out of the pending index), or back to `pending`
   with exponential backoff (capped) for whatever ops or time can fix, until the message's
   deadline, then `expired`; or `failed` at once for the recipient's own permanent problem.
   Which is which: services/mail_policy.py (SES_ERROR_CLASSES, MAIL_DEADLINES). A message
   already past its deadline when claimed is `expired` without being sent, and one to an
   address that bounced or complained (services/mail_feedback.py) is `suppressed`. These
   three final states are kept for ops (`make mail-ops`) and counted in metrics.

The one window: SES accepted the email, then we could not record it (DynamoDB error after
several quick retries, Lambda killed). The claim then expires and the email is sent again.
We chose at-least-once there — a lost activation or password-reset email locks a client
out, a rare duplicate notification does not — and keep the window small: the outcome write
is retried in process, the lease (`LEASE`) outlasts any single attempt (SES timeouts are
short), and a redelivery after an expired lease is logged (`mail.redelivered_after_lease`
warning, `MailRedelivered` metric) so ops can see it. Ambiguous SES failures (a read
timeout after the request was sent) are retried the same way, for the same reason.
"""

from __future__ import annotations

import json
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.config import aws_endpoint_url, aws_region, get_config
from chalicelib.ids import iso, utcnow
from chalicelib.mail.templates import ses_template_name
from chalicelib.models.outbox import (
    EXPIRED,
    FAILED,
    NEEDS_ATTENTION,
    PENDING,
    PRIORITY_DUE,
    RETRYING,
    SENDING,
    SENT,
    SUPPRESSED,
    OutboxModel,
    pending_key,
    retry_key,
)
from chalicelib.models.shards import query_shards
from chalicelib.observability import count_metric, logger, metrics
from chalicelib.services import mail_policy

LEASE = timedelta(seconds=120)  # > SES timeouts + outcome-write retries, so a live claim is never overtaken
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_CAP_SECONDS = 15 * 60.0
SENT_RETENTION = timedelta(days=30)  # sent items expire (TTL); failed, expired, suppressed ones stay for ops
OUTCOME_WRITE_TRIES = 5
SES_CONNECT_TIMEOUT = 3
SES_READ_TIMEOUT = 10
STOP_MARGIN_SECONDS = SES_CONNECT_TIMEOUT + SES_READ_TIMEOUT + 7.0  # a Lambda starts an attempt only if it fits

# Outcomes of one delivery attempt.
SENT_NOW = "sent"
RETRY_LATER = "retry"
GAVE_UP = "failed"
EXPIRED_NOW = "expired"
SUPPRESSED_NOW = "suppressed"
NOT_CLAIMED = "skipped"  # someone else holds it, it is not due, or it is already done

# Final outcomes: (status, metric, log level name)
FINAL = {
    FAILED: ("MailFailed", "error"),
    EXPIRED: ("MailExpired", "warning"),
    SUPPRESSED: ("MailSuppressed", "info"),
}


class InvalidMessage(Exception):
    """The outbox item itself cannot be sent (e.g. its data is not JSON): a permanent error."""


@cache
def ses_client() -> Any:
    """The SES client that sends. No automatic retries: a request that may have reached
    SES must only be repeated by this module's bookkeeping, never silently by botocore."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "ses", region_name=aws_region(), endpoint_url=aws_endpoint_url(),
        config=Config(retries={"max_attempts": 1, "mode": "standard"},
                      connect_timeout=SES_CONNECT_TIMEOUT, read_timeout=SES_READ_TIMEOUT),
    )


def deliver(message_id: str, *, now: datetime | None = None, seen_status: str | None = None) -> str:
    """Deliver one outbox message if it is due and nobody else holds it. Returns one of
    SENT_NOW, RETRY_LATER, GAVE_UP, EXPIRED_NOW, SUPPRESSED_NOW, NOT_CLAIMED. Raises only if
    DynamoDB itself fails while claiming (nothing has been sent then; the message stays due)."""
    now = now or utcnow()
    claimed = _claim(message_id, now)
    if claimed is None:
        return NOT_CLAIMED
    item, token = claimed
    if SENDING in (seen_status, item.claimed_from):  # the claim took over an expired lease
        logger().warning("mail.redelivered_after_lease", extra=_log_fields(item))
        count_metric("MailRedelivered")
    deadline = deadline_of(item)
    if now >= deadline:  # also the end of a message whose delivery keeps crashing the process
        return _finish(item, token, now, EXPIRED, item.last_error or "not delivered before its deadline")
    try:
        stopped = _address_stopped(item.recipient)
    except Exception as error:  # cannot tell: not sending blind, trying again shortly
        return _retry_later(item, token, now, f"suppression check failed: {type(error).__name__}", deadline)
    if stopped:
        return _finish(item, token, now, SUPPRESSED, f"address {stopped}: mail stopped until an agent clears it")
    try:
        ses_message_id = _send(item)
    except Exception as error:  # every failure is bookkept; none escapes to the caller
        error_class, description = classify(error)
        if error_class.outcome == mail_policy.RETRY:
            return _retry_later(item, token, now, description, deadline)
        return _finish(item, token, now, FAILED, description)
    _record(item, token, [
        OutboxModel.status.set(SENT), OutboxModel.sent_at.set(now), OutboxModel.message_id.set(ses_message_id),
        OutboxModel.pending.remove(), OutboxModel.pending_shard.remove(), OutboxModel.retry_shard.remove(),
        OutboxModel.next_attempt_at.remove(),
        OutboxModel.claim_token.remove(), OutboxModel.lease_until.remove(),
        OutboxModel.expires_at.set(int((now + SENT_RETENTION).timestamp())),
    ])
    logger().info("mail.sent", extra={**_log_fields(item), "ses_message_id": ses_message_id})
    count_metric("MailSent")
    return SENT_NOW


def deadline_of(item: OutboxModel) -> datetime:
    """Stored when queued; items queued before deadlines existed get their template's rule."""
    if item.deliver_by:
        return datetime.fromisoformat(item.deliver_by)
    return mail_policy.deliver_by(item.template, item.created_at, item.data)


def _address_stopped(recipient: str) -> str | None:
    from chalicelib.services import mail_feedback

    return mail_feedback.stopped_status(recipient)


def deliver_due(*, now: datetime | None = None, limit: int = 500,
                time_left: Callable[[], float] | None = None) -> Counter[str]:
    """The sweeper: deliver every message that is due (new, retry time reached, or a claim
    whose lease expired), oldest first, read from the sparse `pending_by_due` index (a
    Query, never a Scan). Stops early when `time_left()` (seconds) runs low."""
    outcomes: Counter[str] = Counter()
    margin = _stop_margin(time_left)
    query_time = now or utcnow()
    _report_oldest_undelivered(query_time)
    # Every shard of the sparse index, merged oldest due first (models/shards.py).
    due, _ = query_shards(OutboxModel.pending_by_due, PENDING, OutboxModel.next_attempt_at <= iso(query_time),
                          sort_key=("next_attempt_at", "created_at"),
                          newest_first=False, limit=limit, start=None)
    for candidate in _claimable_now(due, iso(query_time)):
        if time_left is not None and time_left() < margin:
            outcomes["deferred"] += 1
            break
        outcomes[_deliver_safely(candidate.id, now=now, seen_status=candidate.status)] += 1
    return outcomes


def _claimable_now(entries: list[OutboxModel], moment: str) -> list[OutboxModel]:
    """The messages behind the due index's entries (one BatchGet per 100), in the entries'
    order, without those another deliverer holds (a live lease) or that left the queue since
    the index was written: the index entries carry no status or lease, so that a claim
    writes no index entry."""
    if not entries:
        return []
    loaded = {item.id: item for item in OutboxModel.batch_get([entry.id for entry in entries], consistent_read=True)}
    messages = [loaded[entry.id] for entry in entries if entry.id in loaded]
    return [item for item in messages
            if item.status == PENDING or (item.status == SENDING and (item.lease_until or "") <= moment)]


def deliver_stream_records(records: Iterable[dict[str, Any]], *,
                           time_left: Callable[[], float] | None = None) -> Counter[str]:
    """The DynamoDB stream path (NEW_IMAGE): deliver newly queued messages at once.
    Anything skipped here (not due yet, out of time, an error) is left to the sweeper, and
    nothing raises: a failing batch would be retried by Lambda and hold up the shard."""
    outcomes: Counter[str] = Counter()
    margin = _stop_margin(time_left)
    now_text = iso(utcnow())
    for record in records:
        if record.get("eventName") not in ("INSERT", "MODIFY"):
            continue
        image = (record.get("dynamodb") or {}).get("NewImage") or {}
        if image.get("status", {}).get("S") != PENDING:
            continue
        due = image.get("next_attempt_at", {}).get("S")
        if due and due > now_text:  # a rescheduled retry: its backoff is the sweeper's to honour
            continue
        if time_left is not None and time_left() < margin:
            outcomes["deferred"] += 1
            continue
        message_id = image.get("id", {}).get("S")
        if not message_id:
            continue
        outcomes[_deliver_safely(message_id)] += 1
    return outcomes


def oldest_undelivered_age(now: datetime) -> float:
    """Seconds since the oldest message still pending was queued (0 when none)."""
    oldest = oldest_pending_since()
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


def oldest_pending_since() -> datetime | None:
    """When the oldest pending message was queued. A message at its first try is due when it
    was queued, so the first entry of `pending_by_due` after the priority ones is the oldest of
    those; priority messages (all due at PRIORITY_DUE) are read whole (few: sign-in codes, short
    deadlines); the rest, put back for a retry or requeued, are in `retrying_by_age`, oldest
    first. One Query per shard for each, in parallel."""
    regular, _ = query_shards(OutboxModel.pending_by_due, PENDING, OutboxModel.next_attempt_at > PRIORITY_DUE,
                              sort_key=("next_attempt_at", "created_at"), newest_first=False, limit=1, start=None)
    urgent, _ = query_shards(OutboxModel.pending_by_due, PENDING, OutboxModel.next_attempt_at <= PRIORITY_DUE,
                             sort_key="created_at", newest_first=False, limit=100, start=None)
    retried, _ = query_shards(OutboxModel.retrying_by_age, RETRYING, sort_key="created_at", newest_first=False,
                              limit=1, start=None)
    return min((item.created_at for item in (*regular, *urgent, *retried)), default=None)


def _report_oldest_undelivered(now: datetime) -> None:
    try:
        age = oldest_undelivered_age(now)
    except Exception:  # a metric must never stop a delivery
        logger().debug("oldest undelivered age not measured")
        return
    count_metric("OldestUndeliveredAgeSeconds", age, unit="Seconds")


def requeue(message_id: str, *, now: datetime | None = None) -> bool:
    """Ops: send a failed, expired or suppressed message again (after fixing the cause),
    with attempts from 0 and a fresh deadline from its template's rule. Returns False when
    there is no such message; a sent or pending one is never touched."""
    now = now or utcnow()
    try:
        item = OutboxModel.get(message_id, consistent_read=True)
    except OutboxModel.DoesNotExist:
        return False
    if item.status not in NEEDS_ATTENTION:
        return False
    fresh_deadline = mail_policy.deliver_by(item.template, now, item.data)
    try:
        item.update(
            actions=[OutboxModel.status.set(PENDING), OutboxModel.pending.set(PENDING),
                     OutboxModel.pending_shard.set(pending_key(item.id)),
                     OutboxModel.retry_shard.set(retry_key(item.id)),  # due now, queued long ago
                     OutboxModel.next_attempt_at.set(iso(now)), OutboxModel.attempts.set(0),
                     OutboxModel.deliver_by.set(iso(fresh_deadline)), OutboxModel.failed_at.remove(),
                     OutboxModel.attention.remove(), OutboxModel.attention_at.remove()],
            condition=OutboxModel.status == item.status,
        )
    except UpdateError as error:
        if _condition_failed(error):
            return False
        raise
    logger().info("mail.requeued", extra={"outbox_id": message_id, "was": item.status})
    count_metric("MailRequeued")
    return True


def _stop_margin(time_left: Callable[[], float] | None) -> float:
    """Stop starting attempts when less than this is left: one attempt's worst case, or a
    third of the budget for a function given less time than that (configure 60 s)."""
    return min(STOP_MARGIN_SECONDS, time_left() / 3) if time_left is not None else 0.0


def classify(error: BaseException) -> tuple[mail_policy.ErrorClass, str]:
    """(its class in mail_policy.SES_ERROR_CLASSES, description for last_error)."""
    from botocore.exceptions import ClientError

    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code", "Unknown"))
        message = str(details.get("Message", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        error_class = mail_policy.classify_ses_error(code, message, status)
        return error_class, f"{code}: {message} [{error_class.name}]".strip()[:500]
    if isinstance(error, InvalidMessage):
        return mail_policy.ErrorClass("message rejected for content", mail_policy.FAIL, frozenset()), str(error)[:500]
    # Connection errors and timeouts (the request may or may not have reached SES: retried,
    # at-least-once), and anything unexpected: retry with backoff until the deadline.
    return mail_policy.SERVICE_ERROR, f"{type(error).__name__}: {error}"[:500]


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: 5 s, 10 s, 20 s, ... up to 15 min, each between
    half and all of that, so a throttled burst does not come back all at once."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not a secret


def _deliver_safely(message_id: str, **kwargs: Any) -> str:
    try:
        return deliver(message_id, **kwargs)
    except Exception:  # the claim could not be written: nothing was sent, it stays due
        logger().exception("mail.claim_failed", extra={"outbox_id": message_id})
        return "error"


def _claimable(now: datetime) -> Any:
    """Due and pending, or sending with an expired lease (a claim written before leases had
    their own attribute kept it in `next_attempt_at`)."""
    moment = iso(now)
    expired = (OutboxModel.lease_until <= moment) | (
        OutboxModel.lease_until.does_not_exist() & (OutboxModel.next_attempt_at <= moment))
    return ((OutboxModel.status == PENDING) & (OutboxModel.next_attempt_at <= moment)) | (
        (OutboxModel.status == SENDING) & expired)


def _claim(message_id: str, now: datetime) -> tuple[OutboxModel, str] | None:
    token = secrets.token_hex(16)
    item = OutboxModel(message_id)
    try:
        item.update(
            actions=[OutboxModel.status.set(SENDING), OutboxModel.claim_token.set(token),
                     OutboxModel.lease_until.set(iso(now + LEASE)), OutboxModel.attempts.add(1),
                     OutboxModel.claimed_from.set(OutboxModel.status)],  # the status before this claim
            condition=_claimable(now),
        )
    except UpdateError as error:
        if _condition_failed(error):
            return None
        raise
    return item, token


def _branded(data: Any, raw: str) -> str:
    """The template data with the branding `portal_name` (product.md §12) when one is set and the
    data has none: the templates sign with it. Added when sent, so every queued mail has it."""
    from chalicelib.services.settings import get_settings  # cached per container

    name = get_settings().portal_name
    if not name or not isinstance(data, dict) or "portal_name" in data:
        return raw
    return json.dumps({**data, "portal_name": name}, sort_keys=True)


def _send(item: OutboxModel) -> str:
    try:
        data = json.loads(item.data)
    except (TypeError, ValueError) as error:
        raise InvalidMessage(f"template data is not JSON: {error}") from error
    config = get_config()
    request: dict[str, Any] = {
        "Source": config.mail_sender,
        "Destination": {"ToAddresses": [item.recipient]},
        # The outbox stores the logical name; SES holds one copy per stage.
        "Template": ses_template_name(item.template, config.stage),
        "TemplateData": _branded(data, item.data),
    }
    reply_address = data.get("reply_address") if isinstance(data, dict) else None
    if reply_address:
        # Ticket mail (services/reply_addresses.py): a reply becomes a note on the ticket.
        request["ReplyToAddresses"] = [reply_address]
    if config.mail_configuration_set:
        # Sending events (delivery, bounce, complaint) then carry the outbox id.
        request["ConfigurationSetName"] = config.mail_configuration_set
        request["Tags"] = [{"Name": "outbox_id", "Value": item.id}, {"Name": "template", "Value": item.template}]
    return ses_client().send_templated_email(**request)["MessageId"]


def _retry_later(item: OutboxModel, token: str, now: datetime, description: str, deadline: datetime) -> str:
    next_attempt = now + timedelta(seconds=backoff_seconds(item.attempts))
    if next_attempt >= deadline:  # no try left before its deadline: not sent late
        return _finish(item, token, now, EXPIRED, description)
    _record(item, token, [
        OutboxModel.status.set(PENDING), OutboxModel.next_attempt_at.set(iso(next_attempt)),
        OutboxModel.retry_shard.set(retry_key(item.id)),  # its due time no longer tells its age
        OutboxModel.claim_token.remove(), OutboxModel.lease_until.remove(), OutboxModel.last_error.set(description),
    ])
    logger().warning("mail.retry_scheduled", extra={**_log_fields(item), "error": description,
                                                    "next_attempt_at": iso(next_attempt)})
    count_metric("MailRetried")
    return RETRY_LATER


def _finish(item: OutboxModel, token: str, now: datetime, status: str, description: str) -> str:
    """failed | expired | suppressed: out of the pending index, into the attention index."""
    actions = [
        OutboxModel.status.set(status), OutboxModel.last_error.set(description),
        OutboxModel.attention.set(status), OutboxModel.attention_at.set(iso(now)),
        OutboxModel.pending.remove(), OutboxModel.pending_shard.remove(), OutboxModel.retry_shard.remove(),
        OutboxModel.next_attempt_at.remove(),
        OutboxModel.claim_token.remove(), OutboxModel.lease_until.remove(),
    ]
    if status == FAILED:
        actions.append(OutboxModel.failed_at.set(now))
    _record(item, token, actions)
    metric, level = FINAL[status]
    getattr(logger(), level)(f"mail.{status}", extra={**_log_fields(item), "error": description})
    count_metric(metric)
    return {FAILED: GAVE_UP, EXPIRED: EXPIRED_NOW, SUPPRESSED: SUPPRESSED_NOW}[status]


def _record(item: OutboxModel, token: str, actions: list[Any]) -> bool:
    """Write the outcome while we still hold the claim, retrying DynamoDB hiccups quickly:
    this write is what stands between a sent email and a duplicate."""
    for attempt in range(OUTCOME_WRITE_TRIES):
        try:
            item.update(actions=actions, condition=OutboxModel.claim_token == token)
            return True
        except UpdateError as error:
            if _condition_failed(error):  # our lease expired and another deliverer took over
                logger().error("mail.claim_lost", extra=_log_fields(item))
                count_metric("MailClaimLost")
                return False
            if attempt == OUTCOME_WRITE_TRIES - 1:
                logger().exception("mail.outcome_not_recorded", extra=_log_fields(item))
                count_metric("MailOutcomeNotRecorded")
                return False
            time.sleep(0.1 * 2 ** attempt)
    return False


def _condition_failed(error: UpdateError) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def _log_fields(item: OutboxModel) -> dict[str, Any]:
    # Never the recipient or the data: both are personal; the outbox id leads to them.
    return {"outbox_id": item.id, "template": item.template, "attempts": item.attempts}




def flush_metrics() -> None:
    try:
        metrics().flush_metrics(raise_on_empty_metrics=False)
    except Exception:
        logger().debug("metrics not flushed")


def reset() -> None:
    ses_client.cache_clear()
