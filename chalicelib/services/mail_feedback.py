"""What SES tells Portico after a send: bounces, complaints, rejects and deliveries, from
the configuration set's event destination (SNS → `handle_mail_feedback` in app.py).

A hard bounce or a complaint stops all mail to that address until an agent clears it
(`PATCH /agent/clients/{id}` with `email_status: "ok"`): SES reviews an account at a 5 %
bounce or 0.1 % complaint rate, and mailing an address that bounces or complains is what
pushes it there. Soft (transient) bounces are counted and change nothing.

The truth is one item per address in the users table, `suppress#<lower email>` (models/
users.py), for every address, client or not (agents' notification addresses bounce too);
the delivery reads it with one GetItem before each send (`stopped_status`). Why the users
table and not a table of its own: the client's copy of the status (`email_status`,
`email_status_since`, shown by the agents' API without an extra read) lives there, so a
change and its copy are one transaction on one table, and no new table, role or stream is
needed for a handful of items.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.ids import utcnow
from chalicelib.models.users import ADDRESS_KIND, CLIENT_KIND, UserModel, address_item_id, email_guard_id
from chalicelib.observability import count_metric, logger

EMAIL_OK, BOUNCING, COMPLAINED = "ok", "bouncing", "complained"
EMAIL_STATUSES = (EMAIL_OK, BOUNCING, COMPLAINED)
STOPPED = (BOUNCING, COMPLAINED)

HARD_BOUNCE, SOFT_BOUNCE, COMPLAINT, REJECT, DELIVERY, IGNORED = (
    "hard_bounce", "soft_bounce", "complaint", "reject", "delivery", "ignored")


def stopped_status(address: str) -> str | None:
    """`bouncing` or `complained` when mail to this address is stopped, else None: one GetItem."""
    try:
        item = UserModel.get(address_item_id(address), attributes_to_get=["email_status"])
    except DoesNotExist:
        return None
    return item.email_status if item.email_status in STOPPED else None


def handle_sns_message(message: str | dict[str, Any]) -> dict[str, int]:
    """One SES event as SNS delivers it (configuration set event publishing, `eventType`,
    or identity notifications, `notificationType`). Returns what it did per address."""
    event = json.loads(message) if isinstance(message, str) else message
    kind = str(event.get("eventType") or event.get("notificationType") or "")
    mail = event.get("mail") or {}
    log = {"ses_message_id": mail.get("messageId"), "outbox_id": _tag(mail, "outbox_id"), "event": kind}
    done: dict[str, int] = {}
    if kind == "Bounce":
        bounce = event.get("bounce") or {}
        hard = bounce.get("bounceType") == "Permanent"
        for address in _addresses(bounce.get("bouncedRecipients")):
            outcome = _stop(address, BOUNCING) if hard else _count_soft_bounce(address)
            done[outcome] = done.get(outcome, 0) + 1
        logger().warning("mail.bounced", extra={**log, "bounce_type": bounce.get("bounceType"),
                                                "bounce_sub_type": bounce.get("bounceSubType")})
        count_metric("MailHardBounced" if hard else "MailSoftBounced")
    elif kind == "Complaint":
        complaint = event.get("complaint") or {}
        for address in _addresses(complaint.get("complainedRecipients")):
            outcome = _stop(address, COMPLAINED)
            done[outcome] = done.get(outcome, 0) + 1
        logger().warning("mail.complained", extra={**log, "feedback_type": complaint.get("complaintFeedbackType")})
        count_metric("MailComplained")
    elif kind == "Reject":  # SES found a virus: the content's problem, nothing about the address
        logger().error("mail.rejected_by_ses", extra={**log, "reason": (event.get("reject") or {}).get("reason")})
        count_metric("MailRejectedBySes")
        done[REJECT] = 1
    elif kind == "Delivery":
        count_metric("MailDelivered")
        done[DELIVERY] = 1
    else:
        logger().info("mail.feedback_ignored", extra=log)
        done[IGNORED] = 1
    return done


def clear(address: str, *, cleared_by: str, now: datetime | None = None) -> None:
    """An agent says the address works again: mail to it goes out from now on (mail
    suppressed meanwhile stays `suppressed`; ops may requeue it)."""
    now = now or utcnow()
    item = _address_item(address)
    client_id = _client_id(address)
    with TransactWrite(connection=UserModel._get_connection().connection) as tx:
        tx.update(item, actions=[UserModel.kind.set(ADDRESS_KIND), UserModel.email_status.set(EMAIL_OK),
                                 UserModel.email_status_since.set(now), UserModel.cleared_by.set(cleared_by)])
        if client_id:
            tx.update(UserModel(client_id), actions=_client_copy(EMAIL_OK, now),
                      condition=UserModel.kind == CLIENT_KIND)
    logger().info("mail.address_cleared", extra={"cleared_by": cleared_by})


def client_status(item: UserModel) -> tuple[str, datetime | None]:
    """What the agents' API shows for a client: its copy of its address's status."""
    status = item.email_status if item.email_status in EMAIL_STATUSES else EMAIL_OK
    return status, item.email_status_since


def _stop(address: str, status: str) -> str:
    """Stop mail to the address (a complaint outranks a bounce: it stays `complained`)."""
    now = utcnow()
    current = _address_item(address, consistent=True)
    counter = UserModel.complaints if status == COMPLAINED else UserModel.hard_bounces
    actions = [UserModel.kind.set(ADDRESS_KIND), counter.add(1), UserModel.last_feedback_at.set(now)]
    new_status = COMPLAINED if COMPLAINED in (status, current.email_status) else BOUNCING
    changed = current.email_status != new_status
    if changed:
        actions += [UserModel.email_status.set(new_status), UserModel.email_status_since.set(now)]
    client_id = _client_id(address) if changed else None
    try:
        with TransactWrite(connection=UserModel._get_connection().connection) as tx:
            tx.update(current, actions=actions)
            if client_id:
                tx.update(UserModel(client_id), actions=_client_copy(new_status, now),
                          condition=UserModel.kind == CLIENT_KIND)
    except TransactWriteError:  # the client was removed meanwhile: the address item alone
        UserModel(address_item_id(address)).update(actions=actions)
    return new_status if changed else f"already_{new_status}"


def _count_soft_bounce(address: str) -> str:
    UserModel(address_item_id(address)).update(actions=[
        UserModel.kind.set(ADDRESS_KIND), UserModel.soft_bounces.add(1), UserModel.last_feedback_at.set(utcnow())])
    return SOFT_BOUNCE


def _address_item(address: str, consistent: bool = True) -> UserModel:
    try:
        return UserModel.get(address_item_id(address), consistent_read=consistent)
    except DoesNotExist:
        return UserModel(address_item_id(address))


def _client_id(address: str) -> str | None:
    try:
        return UserModel.get(email_guard_id(address), consistent_read=True).owner_id or None
    except DoesNotExist:
        return None


def _client_copy(status: str, now: datetime) -> list[Any]:
    return [UserModel.email_status.set(status), UserModel.email_status_since.set(now)]


def _addresses(recipients: Any) -> list[str]:
    found = []
    for recipient in recipients or []:
        address = str((recipient or {}).get("emailAddress") or "").strip()
        if address and "@" in address and len(address) <= 320 and address.lower() not in {a.lower() for a in found}:
            found.append(address)
    return found


def _tag(mail: dict[str, Any], name: str) -> str | None:
    values = (mail.get("tags") or {}).get(name) or []
    return values[0] if values else None

