from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import UTCDateTime, table_meta

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"


class PendingMessages(GlobalSecondaryIndex):
    """Sparse: only messages still waiting for delivery carry `pending`, oldest due first.
    The local worker and the deployed sweeper read this, never the whole table."""

    class Meta:
        index_name = "pending_by_due"
        projection = AllProjection()

    pending = UnicodeAttribute(hash_key=True)
    next_attempt_at = UnicodeAttribute(range_key=True)


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
    status = UnicodeAttribute(default=PENDING)  # pending | sending | sent | failed
    # Present while the message is pending or sending (the sparse index's key); removed
    # once it is sent or has failed for good.
    pending = UnicodeAttribute(null=True)
    # ISO time; sorts as text. When pending: when it is due. When sending: when the
    # deliverer's claim (lease) expires, so a crashed delivery shows up as due again.
    next_attempt_at = UnicodeAttribute(null=True)
    claim_token = UnicodeAttribute(null=True)  # who holds the current sending claim
    attempts = NumberAttribute(default=0)
    created_at = UTCDateTime()
    sent_at = UTCDateTime(null=True)
    message_id = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    failed_at = UTCDateTime(null=True)
    reason = UnicodeAttribute(null=True)  # what caused it, e.g. "client:<id>:invite"
    expires_at = NumberAttribute(null=True)  # TTL (epoch seconds), set once delivered

    pending_by_due = PendingMessages()
