from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.models.base import UTCDateTime, index_meta, table_meta
from chalicelib.models.shards import sharded

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"  # SES refused it for good (the recipient's or the content's problem)
EXPIRED = "expired"  # past its deadline (services/mail_policy.py): not sent late
SUPPRESSED = "suppressed"  # the address bounced or complained: skipped until an agent clears it
# Final states ops look at and may requeue (`make mail-ops`); they carry `attention`.
NEEDS_ATTENTION = (FAILED, EXPIRED, SUPPRESSED)


def pending_key(message_id: str) -> str:
    """`pending_shard` while a message waits: "pending#<shard>", spread over
    PORTICO_INDEX_SHARDS shards (models/shards.py) so that queuing mail has no single hot key."""
    return sharded(PENDING, message_id)


class PendingMessages(GlobalSecondaryIndex):
    """Sparse: only messages still waiting for delivery carry `pending`, oldest due first.
    The local worker and the deployed sweeper read this, never the whole table. Entries
    carry the id and when it was queued (what orders messages due at the same time): nothing
    a claim changes (the lease is `lease_until`), so claiming a message writes no index entry."""

    Meta = index_meta("pending_shard_by_due", IncludeProjection(["created_at"]))

    pending_shard = UnicodeAttribute(hash_key=True)
    next_attempt_at = UnicodeAttribute(range_key=True)


RETRYING = "retrying"
# Due "since ever": the sweeper and the local worker read pending mail oldest-due first, so a
# message that is useless when late (a sign-in code) goes out before any backlog.
PRIORITY_DUE = "2000-01-01T00:00:00Z"


def retry_key(message_id: str) -> str:
    """`retry_shard` while a message waits whose due time is no longer its queue time."""
    return sharded(RETRYING, message_id)


class RetryingByAge(GlobalSecondaryIndex):
    """Sparse: only pending messages whose due time has moved away from their queue time
    (put back for a retry, or requeued by ops) carry `retry_shard`, oldest queued first.
    Every other pending message is due when it was queued (or at PRIORITY_DUE), so
    `pending_by_due` tells its age; this index tells the rest (services/mail_delivery.py,
    `oldest_pending_since`). Most mail goes out at its first try and never enters it."""

    Meta = index_meta("retrying_by_age", KeysOnlyProjection())

    retry_shard = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTime(range_key=True)


class MessagesNeedingAttention(GlobalSecondaryIndex):
    """Sparse: only failed, expired and suppressed messages carry `attention` (= their
    status), newest last, so the ops command lists them with a Query, never a Scan."""

    Meta = index_meta("attention_by_time")

    attention = UnicodeAttribute(hash_key=True)
    attention_at = UnicodeAttribute(range_key=True)


class OutboxModel(Model):
    """One email to one recipient, written in the same transaction as the change that
    causes it, delivered later (DynamoDB stream deployed, the local worker locally)."""

    Meta = table_meta("outbox")
    Meta.stream_view_type = "NEW_IMAGE"
    Meta.ttl_attribute = "expires_at"

    id = UnicodeAttribute(hash_key=True)
    template = UnicodeAttribute()
    recipient = UnicodeAttribute()
    data = UnicodeAttribute()  # JSON template data
    status = UnicodeAttribute(default=PENDING)  # pending | sending | sent | failed | expired | suppressed
    # Present while the message is pending or sending (the sparse indexes' key, pending_key());
    # removed once it is sent or has failed for good.
    pending = UnicodeAttribute(null=True)
    pending_shard = UnicodeAttribute(null=True)  # pending_key(id) while `pending` is set
    retry_shard = UnicodeAttribute(null=True)  # retry_key(id) while pending after a retry or a requeue
    # ISO time; sorts as text: when it is due (queued, or its next retry). A claim leaves it
    # alone, so a message being sent stays where it is in `pending_by_due`.
    next_attempt_at = UnicodeAttribute(null=True)
    # While sending: when the deliverer's claim expires (ISO), after which another deliverer
    # may claim it (a crashed delivery is due again); and the status the claim found.
    lease_until = UnicodeAttribute(null=True)
    claimed_from = UnicodeAttribute(null=True)
    claim_token = UnicodeAttribute(null=True)  # who holds the current sending claim
    attempts = NumberAttribute(default=0)
    created_at = UTCDateTime()
    sent_at = UTCDateTime(null=True)
    message_id = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    failed_at = UTCDateTime(null=True)
    reason = UnicodeAttribute(null=True)  # what caused it, e.g. "client:<id>:invite"
    expires_at = NumberAttribute(null=True)  # TTL (epoch seconds), set once delivered
    # ISO time past which the message is `expired` instead of sent (mail_policy.MAIL_DEADLINES);
    # items queued before deadlines existed have none and get the template's rule.
    deliver_by = UnicodeAttribute(null=True)
    # The sparse attention index's key (= status) and when it got there; removed on requeue.
    attention = UnicodeAttribute(null=True)
    attention_at = UnicodeAttribute(null=True)

    pending_by_due = PendingMessages()
    retrying_by_age = RetryingByAge()
    attention_by_time = MessagesNeedingAttention()

    def serialize(self, null_check: bool = True) -> dict:
        # A pending message saved whole is in its shard of the due index, whoever saves it.
        if self.pending and self.id and not self.pending_shard:
            self.pending_shard = pending_key(self.id)
        return super().serialize(null_check=null_check)
