"""What ops see and do with the outbox (devtools/mail_ops.py, `make mail-ops`): list the
messages that need attention and put them back in the queue. Queries only: failed,
expired and suppressed messages are read from the sparse `attention_by_time` index,
stuck ones (pending longer than STUCK_AFTER) from `pending_by_due` and `retrying_by_age`; recipient and template
are filters on those (small) Queries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.ids import iso, utcnow
from chalicelib.models.outbox import (
    EXPIRED,
    FAILED,
    NEEDS_ATTENTION,
    PENDING,
    PRIORITY_DUE,
    RETRYING,
    SUPPRESSED,
    OutboxModel,
)
from chalicelib.models.shards import shard_keys
from chalicelib.services import mail_delivery

STUCK = "stuck"
STUCK_AFTER = timedelta(minutes=15)  # the OldestUndeliveredAgeSeconds alarm's threshold
LISTABLE = (FAILED, EXPIRED, SUPPRESSED, STUCK)


@dataclass(frozen=True)
class Filters:
    statuses: tuple[str, ...] = LISTABLE
    recipient: str | None = None
    template: str | None = None
    since: datetime | None = None


def find(filters: Filters, *, now: datetime | None = None, limit: int = 1000) -> Iterator[OutboxModel]:
    """Messages matching the filters, per status, oldest first."""
    now = now or utcnow()
    found = 0
    for status in filters.statuses:
        for item in _stuck(filters, now) if status == STUCK else _needing_attention(status, filters):
            if filters.recipient and item.recipient.lower() != filters.recipient.lower():
                continue
            if filters.template and item.template != filters.template:
                continue
            yield item
            found += 1
            if found >= limit:
                return


def requeue_matching(filters: Filters, *, now: datetime | None = None) -> list[str]:
    """Requeue every failed, expired or suppressed message matching the filters (stuck
    ones are still queued: they go out by themselves once the cause is fixed)."""
    statuses = tuple(s for s in filters.statuses if s in NEEDS_ATTENTION)
    chosen = Filters(statuses, filters.recipient, filters.template, filters.since)
    return [item.id for item in list(find(chosen, now=now)) if mail_delivery.requeue(item.id, now=now)]


def _needing_attention(status: str, filters: Filters) -> Iterator[OutboxModel]:
    condition = OutboxModel.attention_at >= iso(filters.since) if filters.since else None
    filter_condition = None
    if filters.template:
        filter_condition = OutboxModel.template == filters.template
    yield from OutboxModel.attention_by_time.query(status, condition, filter_condition=filter_condition)


def _stuck(filters: Filters, now: datetime) -> Iterator[OutboxModel]:
    """Pending messages queued before STUCK_AFTER (and since `filters.since`): at their first
    try a message is due when it was queued (`pending_by_due`, after the priority ones, which
    are filtered on their queue time), the others are in `retrying_by_age` (models/outbox.py)."""
    before = now - STUCK_AFTER
    queued = (OutboxModel.created_at.between(filters.since, before) if filters.since
              else OutboxModel.created_at <= before)
    keys: list[str] = []
    for shard in shard_keys(PENDING):
        keys += [item.id for item in OutboxModel.pending_by_due.query(
            shard, OutboxModel.next_attempt_at.between(f"{PRIORITY_DUE}~", iso(before)),
            filter_condition=OutboxModel.created_at >= filters.since if filters.since else None)]
        keys += [item.id for item in OutboxModel.pending_by_due.query(
            shard, OutboxModel.next_attempt_at <= PRIORITY_DUE, filter_condition=queued)]
    for shard in shard_keys(RETRYING):
        keys += [item.id for item in OutboxModel.retrying_by_age.query(shard, queued)]
    keys = list(dict.fromkeys(keys))  # a retried message is in both indexes
    for start in range(0, len(keys), 100):
        yield from sorted(OutboxModel.batch_get(keys[start:start + 100]), key=lambda m: m.created_at)
