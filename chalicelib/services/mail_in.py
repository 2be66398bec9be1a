"""Email in (product.md §8): one inbound message, as SES receiving hands it over, becomes a
note on a ticket, a new ticket, or nothing, with the reason logged.

Deployed, an SES receipt rule stores the raw message in the inbound bucket and publishes a
notification to an SNS topic, whose handler calls `handle_sns_message`; the local stack's
worker hands each object put under `inbound/` to the same function with a notification of
the same shape (devtools/mail_in.py). The steps, each of which may drop the message:

  1. SES's verdicts: spam or virus FAIL; neither SPF nor DKIM PASS; DMARC FAIL (any policy).
  2. The message: one S3 GetObject (over 40 MB: not even read), then services/mail_parse.py
     (malformed MIME, parts, a From that is not one address).
  3. Machine mail (auto-replies, bounces, mailer-daemon), Portico's own sender and domain.
  4. Whom it was sent to (SES's recipients): a reply address (services/reply_addresses.py),
     else the support address; anything else is not ours.
  5. Once: the same Message-ID from the same sender makes one note or ticket (a claim item
     written in the note's or ticket's own transaction; a redelivery finds it).
  6. The sender's hourly allowance (setting `email_in_per_sender_hour`).
  7. Then the same rules as the portal and the agent API: a reply is a note by the mailbox
     the address was issued to, as if that client or agent had written it (visibility, a
     closed or blocked ticket, reopening, notifications); mail to the support address opens
     a ticket for an active client (or, per `email_unknown_senders`, a new inactive one).

Nothing about a message's content raises: it is processed or dropped. AWS errors do raise,
so that Lambda's asynchronous retries (two, then the event is dropped; never forever) try
again; the claim makes a retry safe.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from chalicelib import aws, config
from chalicelib.errors import Conflict, NotFound
from chalicelib.identity import ActingAgent, ActingClient, TicketRequester
from chalicelib.ids import utcnow
from chalicelib.models.throttle import ThrottleModel
from chalicelib.models.users import ACTIVE, CLIENT_USER, INACTIVE
from chalicelib.observability import logger
from chalicelib.services import mail_parse, reply_addresses, throttle, visibility
from chalicelib.services.settings import get_settings

CLAIM_DAYS = 30  # SES redelivers within hours; a resent copy weeks later is a new message
CREATE_CLIENT = "create_client"
MAIL_SIGNUP = "email"  # a client's `signup` when unknown-sender mail created it
NO_TEXT = "(no text)"
MAX_SKIPPED_LISTED = 20


@dataclass(frozen=True)
class Outcome:
    result: str  # note | ticket | dropped | duplicate
    reason: str = ""
    ticket_number: int | None = None


def _dropped(reason: str, **fields: Any) -> Outcome:
    logger().info("mail_in.dropped", extra={"reason": reason, **fields})
    return Outcome("dropped", reason)


# --- the notification ---------------------------------------------------------------------

def handle_sns_message(message: str) -> dict[str, Any]:
    """SNS handler body: one SES "Received" notification (JSON)."""
    try:
        notification = json.loads(message)
    except (TypeError, ValueError):
        return _as_dict(_dropped("notification_not_json"))
    if not isinstance(notification, dict) or notification.get("notificationType") != "Received":
        return _as_dict(_dropped("not_a_received_notification"))
    return _as_dict(handle_notification(notification))


def _as_dict(outcome: Outcome) -> dict[str, Any]:
    return {"result": outcome.result, "reason": outcome.reason, "ticket_number": outcome.ticket_number}


def verdict_refusal(receipt: dict[str, Any]) -> str | None:
    """Why SES's verdicts drop the message, or None. The From decides who writes the note,
    so the sender's domain must vouch for the message: SPF or DKIM must PASS (GRAY, a missing
    verdict or PROCESSING_FAILED is not a pass), and a DMARC FAIL drops it whatever the
    domain's policy (a `none` policy only means the domain does not ask receivers to act).
    A DMARC GRAY (no DMARC record) is fine when SPF or DKIM passed."""
    def status(name: str) -> str:
        return str((receipt.get(name) or {}).get("status", "")).upper()

    if status("spamVerdict") == "FAIL":
        return "spam"
    if status("virusVerdict") == "FAIL":
        return "virus"
    if status("dmarcVerdict") == "FAIL":
        return "dmarc_failed"
    if "PASS" not in (status("spfVerdict"), status("dkimVerdict")):
        return "spf_and_dkim_not_passed"
    return None


def handle_notification(notification: dict[str, Any]) -> Outcome:
    receipt = notification.get("receipt") or {}
    mail = notification.get("mail") or {}
    if refusal := verdict_refusal(receipt):
        return _dropped(refusal, ses_message_id=mail.get("messageId"))
    action = receipt.get("action") or {}
    if action.get("type") != "S3" or action.get("bucketName") != config.inbound_bucket():
        return _dropped("not_in_the_inbound_bucket")
    raw = _read(str(action.get("objectKey") or ""))
    if isinstance(raw, Outcome):
        return raw
    try:
        parsed = mail_parse.parse(raw)
    except mail_parse.Dropped as dropped:
        return _dropped(dropped.reason, ses_message_id=mail.get("messageId"))
    recipients = [str(r).strip().lower() for r in receipt.get("recipients") or mail.get("destination") or []]
    return handle_message(parsed, recipients, fallback_id=str(mail.get("messageId") or ""))


def _read(key: str) -> bytes | Outcome:
    """The raw message: one GetObject; its size is checked before the body is read."""
    from botocore.exceptions import ClientError  # lazy: cold start

    if not key.startswith("inbound/"):
        return _dropped("not_in_the_inbound_bucket")
    try:
        answer = aws.client("s3").get_object(Bucket=config.inbound_bucket(), Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return _dropped("message_object_missing")
        raise
    body = answer["Body"]
    if int(answer.get("ContentLength") or 0) > mail_parse.MAX_MESSAGE_BYTES:
        body.close()
        return _dropped("too_large")
    return body.read(mail_parse.MAX_MESSAGE_BYTES + 1)


# --- the message --------------------------------------------------------------------------

def handle_message(parsed: mail_parse.ParsedMail, recipients: list[str], *, fallback_id: str = "") -> Outcome:
    """Steps 3 to 7 for a parsed message sent to `recipients` (SES's list, lowercase)."""
    settings_config = config.get_config()
    sender = parsed.sender.lower()
    if parsed.automatic:
        return _dropped(parsed.automatic)
    if sender == settings_config.mail_sender.lower() or sender.endswith("@" + settings_config.inbound_domain):
        return _dropped("own_sender")
    reply_to = next((r for r in recipients if reply_addresses.is_reply_address(r)), None)
    if reply_to is None and settings_config.support_address not in recipients:
        return _dropped("not_sent_to_a_known_address")
    claim = _claim(sender, parsed.message_id or fallback_id)
    if _claimed(claim):
        return _duplicate()
    if not throttle.inbound_mail(sender, per_hour=get_settings().email_in_per_sender_hour):
        return _dropped("sender_over_hourly_limit")
    if reply_to is not None:
        return _reply(parsed, reply_to, claim)
    return _new_ticket(parsed, claim)


def _claim(sender: str, message_id: str) -> ThrottleModel:
    """The item that makes a message count once: keyed by sender and Message-ID (a sender
    cannot use up another's ids), in the throttle table with a TTL."""
    digest = hashlib.sha256(f"{sender}\0{message_id}".encode()).hexdigest()[:40]
    expires = int((utcnow() + timedelta(days=CLAIM_DAYS)).timestamp())
    return ThrottleModel(f"mail-in-message#{digest}", count=1, expires_ttl=expires)


def _claimed(claim: ThrottleModel) -> bool:
    from pynamodb.exceptions import DoesNotExist

    try:
        ThrottleModel.get(claim.id, consistent_read=True, attributes_to_get=["id"])
    except DoesNotExist:
        return False
    return True


def _duplicate() -> Outcome:
    logger().info("mail_in.duplicate")
    return Outcome("duplicate", "message_already_processed")


def _with_skipped(text: str, skipped: list[str]) -> str:
    """The text and the list of refused files, together within the note limit: the list
    names the first MAX_SKIPPED_LISTED (a message may carry hundreds), the text gives way."""
    if not skipped:
        return text
    listed = ", ".join(skipped[:MAX_SKIPPED_LISTED])
    if len(skipped) > MAX_SKIPPED_LISTED:
        listed += f", and {len(skipped) - MAX_SKIPPED_LISTED} more"
    footer = mail_parse.truncate(f"\n\n[Not attached: {listed}]", mail_parse.MAX_TEXT // 2)
    return mail_parse.truncate(text, mail_parse.MAX_TEXT - len(footer)) + footer


def _files(owner: str, parsed: mail_parse.ParsedMail) -> tuple[Any, list[str]]:
    from chalicelib.services import attachments

    return attachments.mail_binding(owner, [(f.filename, f.content_type, f.content) for f in parsed.files])


# --- a reply: a note ------------------------------------------------------------------------

def _reply(parsed: mail_parse.ParsedMail, address: str, claim: ThrottleModel) -> Outcome:
    from chalicelib.services import notes, ticket_reads

    token = reply_addresses.verify(address, parsed.sender)
    if token is None:
        return _dropped("reply_address_not_valid_for_sender")
    try:
        ticket = ticket_reads.load(token.ticket_number)
    except NotFound:
        return _dropped("no_such_ticket", ticket_number=token.ticket_number)
    author = _client_author(token.recipient, parsed.sender) if token.recipient_kind == reply_addresses.CLIENT \
        else _agent_author(parsed.sender)
    if author is None:
        return _dropped("sender_may_not_reply", ticket_number=token.ticket_number)
    if not visibility.ticket_visible(author, ticket):
        return _dropped("ticket_not_visible_to_sender", ticket_number=token.ticket_number)
    from chalicelib.services.attachments import owner_ref

    files, skipped = _files(owner_ref(author), parsed)
    body = _with_skipped(parsed.reply_text or ("" if files else parsed.text), skipped)
    if not body.strip() and not files:
        return _dropped("empty_reply", ticket_number=token.ticket_number)
    try:
        notes.add_note(ticket, author, body or NO_TEXT, internal=token.internal, files=files, claims=[claim])
    except notes.ClosedTicket:
        return _dropped("ticket_closed", ticket_number=token.ticket_number)
    except Conflict:
        if _claimed(claim):
            return _duplicate()
        raise
    logger().info("mail_in.note", extra={"ticket_number": token.ticket_number, "internal": token.internal,
                                         "files": len(files.files), "skipped": len(skipped)})
    return Outcome("note", ticket_number=token.ticket_number)


def _client_author(client_id: str, sender: str) -> ActingClient | None:
    """The requester, as the portal would see them: active, and still this address."""
    from chalicelib.services.client_store import find_item

    item = find_item(client_id)
    if item is None or item.status != ACTIVE or (item.email or "").lower() != sender.lower():
        return None
    return ActingClient(id=item.id, email=item.email or "", name=item.name, phone=item.phone,
                        organization_id=item.organization_id, role=item.role or CLIENT_USER)


def _agent_author(sender: str) -> ActingAgent | None:
    """The agent whose address this is (Cognito, by email), when enabled. Groups are not read:
    every agent may write notes (ticket_writes.AGENT_CHANGE_PERMISSIONS)."""
    from chalicelib.services.agents import find_agent

    try:
        # Pools are often case-sensitive; addresses are stored as invited, usually lowercase.
        agent = find_agent(sender.lower())
    except NotFound:
        return None
    if not agent.enabled or (agent.email or "").lower() != sender.lower():
        return None
    return ActingAgent(username=agent.username, email=agent.email, groups=frozenset(), name=agent.name)


# --- mail to the support address: a ticket ----------------------------------------------------

def _new_ticket(parsed: mail_parse.ParsedMail, claim: ThrottleModel) -> Outcome:
    from chalicelib.services import client_store, ticket_writes

    item = client_store.find_by_email(parsed.sender)
    create_clients = get_settings().email_unknown_senders == CREATE_CLIENT
    if item is None:
        if not create_clients:
            return _dropped("unknown_sender")
        item = _create_client(parsed)
    elif not (item.status == ACTIVE or (item.status == INACTIVE and item.signup == MAIL_SIGNUP and create_clients)):
        return _dropped("client_not_active")
    owner = f"client:{item.id}"
    files, skipped = _files(owner, parsed)
    try:
        ticket = ticket_writes.create(
            subject=parsed.subject, description=_with_skipped(parsed.text or NO_TEXT, skipped), priority=None,
            category=None, requester_id=item.id, created_by=owner, files=files, claims=[claim],
            requester=TicketRequester(item.id, item.email, item.status, item.name, item.organization_id))
    except Conflict:
        if _claimed(claim):
            return _duplicate()
        raise
    logger().info("mail_in.ticket", extra={"ticket_number": int(ticket.number), "files": len(files.files),
                                           "skipped": len(skipped)})
    return Outcome("ticket", ticket_number=int(ticket.number))


def _create_client(parsed: mail_parse.ParsedMail) -> Any:
    """An inactive client for an unknown sender (no invitation: nothing is sent to them).
    Two messages at once from one new address: the second finds the first's client."""
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    from chalicelib.models.users import UserModel
    from chalicelib.services import client_directory, client_store

    now = utcnow()
    item = client_store.new_client_item(parsed.sender, name=parsed.sender_name or None, phone=None,
                                        organization_id=None, role=CLIENT_USER, now=now)
    item.signup = MAIL_SIGNUP
    # In the agents' client directory like any created client (services/clients.create_client).
    terms = client_directory.index_new(item)
    try:
        with TransactWrite(connection=client_store.connection()) as tx:
            tx.save(client_store.guard_item(item), condition=UserModel.id.does_not_exist())
            tx.save(item, condition=UserModel.id.does_not_exist())
            for term in terms:
                tx.save(term, condition=UserModel.id.does_not_exist())
    except TransactWriteError:
        found = client_store.find_by_email(parsed.sender)
        if found is None:
            raise
        return found
    logger().info("mail_in.client_created", extra={"client_id": item.id})
    return item
