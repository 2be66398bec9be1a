"""The mail outbox: what must be sent is written durably, in the same DynamoDB
transaction as the change that causes it; delivery happens outside the request.

    with TransactWrite(connection=...) as tx:
        tx.save(ticket, ...)
        for address in outbox.unique_addresses(recipients):
            message = outbox.message("ticket-created", address, data, reason=f"ticket:{n}:created")
            tx.save(message, condition=OutboxModel.id.does_not_exist())

A message id derived from `reason` and the recipient makes queuing idempotent: the same
cause never queues the same email twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from chalicelib.ids import iso, new_id, utcnow
from chalicelib.models.outbox import PENDING, PRIORITY_DUE, OutboxModel, pending_key
from chalicelib.services.mail_policy import deliver_by

# PRIORITY_DUE (models/outbox.py): a message useless when late goes out before any backlog.
# (The stream delivers every new message at once anyway; this matters when mail is piling up.)

def message(template: str, recipient: str, data: dict[str, Any], *, reason: str | None = None,
            priority: bool = False) -> OutboxModel:
    """An unsaved outbox item; the caller saves it in its own transaction."""
    now = utcnow()
    if reason:
        digest = hashlib.sha256(f"{reason}\0{template}\0{recipient.lower()}".encode()).hexdigest()[:32]
        message_id = f"m-{digest}"
    else:
        message_id = new_id()
    return OutboxModel(
        message_id, template=template, recipient=recipient, data=json.dumps(data, sort_keys=True),
        status=PENDING, pending=PENDING, pending_shard=pending_key(message_id),
        next_attempt_at=PRIORITY_DUE if priority else iso(now), attempts=0,
        created_at=now, reason=reason, deliver_by=iso(deliver_by(template, now, data)),
    )


def unique_addresses(addresses: Iterable[str | None]) -> list[str]:
    """Each address once, in order, compared case-insensitively as message ids compare them
    (two spellings of one address would otherwise be two messages with one id)."""
    seen: set[str] = set()
    unique = []
    for address in addresses:
        if address and address.lower() not in seen:
            seen.add(address.lower())
            unique.append(address)
    return unique

