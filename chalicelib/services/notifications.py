"""Who gets which ticket email (product.md §3), as pure functions, and the outbox
messages for them. The rules in one place:

  - a note by an agent: no option chosen -> requester and assignees; `notify_assignees`
    only -> assignees; `notify_contact` only -> requester; both -> both;
  - a note by a client -> the assignees, or the agents' shared address when unassigned;
  - the author never gets their own note;
  - a client never gets an internal note, nor any email about a blocked ticket, nor any
    email at all unless active (visibility.client_may_be_mailed);
  - template data never contains an internal note's text;
  - watchers and CC'd clients (product.md §12) are clients like the requester: only active
    ones, never an internal note, never a blocked ticket, never the author. A CC'd client gets
    what the requester gets (an agent's note that notifies the contact, the resolution); a
    watcher gets the events they chose (every public reply, status changes, the resolution);
    both are given the client's copy;
  - every copy carries its recipient's own reply address (services/reply_addresses.py) as
    `reply_address`, which delivery also sets as Reply-To: a client's (the requester's, a
    watcher's, a CC'd client's) is signed for that client's id and address, so mail in
    (services/mail_in.py) knows who wrote; agents' copies also carry the internal variant,
    `internal_reply_address`;
  - one event mails an address once: when the requester's address is also an agents'
    address (the shared one, or an assignee's), only the client's copy goes there. The
    client's copy is written for someone who may only see what a client sees, so it is
    right for whoever reads that mailbox; the agents' copy is written for staff (the
    internal-note label, the requester's contact) and must never reach a client. Whoever
    reads it still learns of the event (number, subject, the note) and has the link.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.config import get_config
from chalicelib.identity import TicketRequester
from chalicelib.models.outbox import OutboxModel
from chalicelib.services import attachments, outbox, reply_addresses
from chalicelib.services.visibility import client_may_be_mailed

PUBLIC_REPLY, STATUS, RESOLVED = "public_reply", "status", "resolved"
WATCH_EVENTS = (PUBLIC_REPLY, STATUS, RESOLVED)


@dataclass(frozen=True)
class Watcher:
    """A client who watches a ticket or is CC'd on it, as the mail rules need them now."""

    requester: TicketRequester  # their account: id, email, status
    events: frozenset[str] = frozenset()  # what they chose to watch (empty: not watching)
    cc: bool = False

    def wants(self, event: str) -> bool:
        return event in self.events or (self.cc and event in (PUBLIC_REPLY, RESOLVED))


@dataclass(frozen=True)
class NoteRecipients:
    client: str | None
    agents: tuple[str, ...]
    # Watchers and CC'd clients: the client's copy, each with their own reply address, so
    # their id travels with their address.
    watchers: tuple[TicketRequester, ...] = ()


def watcher_recipients(watchers: tuple[Watcher, ...], event: str, *, author_id: str | None, blocked: bool,
                       internal: bool = False, cc_included: bool = True, besides: tuple[str | None, ...] = ()
                       ) -> tuple[TicketRequester, ...]:
    """The watchers and CC'd clients `event` mails: active, wanting it, not the author, never about
    an internal note or a blocked ticket; each address once and none of `besides` (already mailed).
    `cc_included` False: CC'd clients only when they watch the event themselves (an agent's note
    that does not notify the contact)."""
    taken = {address.lower() for address in besides if address}
    found = []
    for watcher in watchers:
        person = watcher.requester
        wanted = event in watcher.events or (cc_included and watcher.wants(event))
        if (wanted and person.id != author_id and client_may_be_mailed(person, blocked=blocked, internal=internal)
                and (person.email or "").lower() not in taken):
            taken.add((person.email or "").lower())
            found.append(person)
    return tuple(found)


def note_recipients(*, author_kind: str, author_id: str, internal: bool, notify_contact: bool | None,
                    notify_assignees: bool | None, requester: TicketRequester, assignees: dict[str, str],
                    agents_email: str, blocked: bool, watchers: tuple[Watcher, ...] = ()) -> NoteRecipients:
    """`assignees` maps agent username -> email; `author_id` is a username or client id."""
    if author_kind == "client":
        others = watcher_recipients(watchers, PUBLIC_REPLY, author_id=author_id, blocked=blocked, internal=internal)
        agents = [email for username, email in assignees.items()] or [agents_email]
        return NoteRecipients(None, _unique(_without(agents, _addresses(others))), others)
    neither = not notify_contact and not notify_assignees
    to_contact = bool(notify_contact) or neither
    to_assignees = bool(notify_assignees) or neither
    client = requester.email if (to_contact and requester.id != author_id
                                 and client_may_be_mailed(requester, blocked=blocked, internal=internal)) else None
    others = watcher_recipients(watchers, PUBLIC_REPLY, author_id=author_id, blocked=blocked, internal=internal,
                                cc_included=to_contact, besides=(client,))
    agents = [email for username, email in assignees.items() if to_assignees and username != author_id]
    return NoteRecipients(client, _unique(_without(agents, (client, *_addresses(others)))), others)


def _without(emails: list[str], clients: Iterable[str | None]) -> list[str]:
    """The agents' addresses but the clients' (one mail per address per event): those
    mailboxes get the client's copy only."""
    taken = {address.lower() for address in clients if address}
    return [e for e in emails if e.lower() not in taken]


def _addresses(people: tuple[TicketRequester, ...]) -> tuple[str | None, ...]:
    return tuple(person.email for person in people)


def _unique(emails: list[str]) -> tuple[str, ...]:
    return tuple(outbox.unique_addresses(emails))


def ticket_url(number: int) -> str:
    return f"{get_config().portal_url}/tickets/{number}"


def _summary(ticket: Any) -> dict[str, Any]:
    return {"ticket_number": int(ticket.number), "subject": ticket.subject or "", "status": ticket.status,
            "priority": ticket.priority, "requester_name": ticket.requester_name or "",
            "requester_email": ticket.requester_email or ""}


def _client_reply(number: int, requester: TicketRequester) -> dict[str, str]:
    return {"reply_address": reply_addresses.for_client(number, requester.id or "", requester.email or "")}


def _client_messages(template: str, people: tuple[TicketRequester, ...], data: dict[str, Any], number: int,
                     reason: str) -> list[OutboxModel]:
    """One client's copy per watcher or CC'd client, each with that client's own reply address."""
    return [outbox.message(template, person.email or "", {**data, **_client_reply(number, person)}, reason=reason)
            for person in people if person.email]


def _agent_messages(template: str, addresses: list[str] | tuple[str, ...], data: dict[str, Any], number: int,
                    reason: str) -> list[OutboxModel]:
    """One agents' copy per address, each with that address's own reply addresses."""
    return [outbox.message(template, address, {
        **data, "reply_address": reply_addresses.for_agent(number, address),
        "internal_reply_address": reply_addresses.for_agent(number, address, internal=True)}, reason=reason)
        for address in outbox.unique_addresses(addresses)]


def _file_names(item: Any) -> list[str]:
    """The names of the files attached to a ticket or note: mail lists them, never links."""
    return attachments.names(getattr(item, "attachments", None))


def ticket_created_messages(ticket: Any, requester: TicketRequester, agents_email: str) -> list[OutboxModel]:
    """Confirmation to the requester, alert to the agents' shared address."""
    number = int(ticket.number)
    found: list[OutboxModel] = []
    summary = {**_summary(ticket), "attachments": _file_names(ticket)}
    client = requester.email if client_may_be_mailed(requester, blocked=bool(ticket.block_client_view)) else None
    if client:
        found.append(outbox.message("ticket-created", client, {
            **summary, "audience": "client", "for_client": True, "ticket_url": ticket_url(number),
            **_client_reply(number, requester)}, reason=f"ticket:{number}:created:client"))
    found += _agent_messages("ticket-created", _without([agents_email], (client,)), {
        **summary, "audience": "agents", "for_client": False, "description": ticket.description or ""},
        number, f"ticket:{number}:created:agents")
    return found


def note_messages(ticket: Any, note: Any, recipients: NoteRecipients) -> list[OutboxModel]:
    """`recipients.client` is only ever the ticket's requester (note_recipients)."""
    number = int(ticket.number)
    # The audience is part of the reason, so of the message id: a client's copy and an
    # agents' copy never share an id (DynamoDB refuses two writes to one item in a transaction).
    reason = f"note:{number}:{note.id}"
    base = {**_summary(ticket), "author_name": note.author_name or "", "internal": bool(note.internal),
            "attachments": _file_names(note)}
    requester = (TicketRequester(ticket.requester_id, recipients.client, None),) if recipients.client else ()
    found = _client_messages("ticket-note-created", (*requester, *recipients.watchers), {
        **base, "for_client": True, "note_body": note.body, "ticket_url": ticket_url(number)},
        number, f"{reason}:client")
    # Agents read internal notes in the API; the email only says one was added.
    agent_data = {**base, "for_client": False, "note_body": "" if note.internal else note.body}
    # note_recipients already left the client's address out of `agents`.
    found += _agent_messages("ticket-note-created", recipients.agents, agent_data, number, f"{reason}:agents")
    return found


def resolved_messages(ticket: Any, requester: TicketRequester, rating_on: bool,
                      watchers: tuple[Watcher, ...] = ()) -> list[OutboxModel]:
    """To the requester (with the rating link when rating is on), and the CC'd clients and
    watchers of the resolution or of status changes (no rating link: only the requester rates)."""
    blocked = bool(ticket.block_client_view)
    number = int(ticket.number)
    url = ticket_url(number)
    reason = f"ticket:{number}:resolved:{ticket.version or 0}"
    found: list[OutboxModel] = []
    client = requester.email if client_may_be_mailed(requester, blocked=blocked) else None
    if client:
        found.append(outbox.message("ticket-resolved", client, {
            **_summary(ticket), "ticket_url": url, "rating_enabled": rating_on,
            "rating_url": f"{url}#rate" if rating_on else "", **_client_reply(number, requester)}, reason=reason))
    resolution = watcher_recipients(watchers, RESOLVED, author_id=None, blocked=blocked, besides=(client,))
    others = (*resolution, *watcher_recipients(watchers, STATUS, author_id=None, blocked=blocked, cc_included=False,
                                               besides=(client, *_addresses(resolution))))
    found += _client_messages("ticket-resolved", others, {
        **_summary(ticket), "ticket_url": url, "rating_enabled": False, "rating_url": ""}, number, reason)
    return found


def status_messages(ticket: Any, previous_status: str | None, watchers: tuple[Watcher, ...], *, author_id: str
                    ) -> list[OutboxModel]:
    """`ticket-status-changed` to the watchers of status changes (the resolution has its own
    mail). Nobody else is told of a status change."""
    number = int(ticket.number)
    people = watcher_recipients(watchers, STATUS, author_id=author_id, blocked=bool(ticket.block_client_view),
                                cc_included=False)
    return _client_messages("ticket-status-changed", people, {
        **_summary(ticket), "previous_status": previous_status or "", "ticket_url": ticket_url(number)},
        number, f"ticket:{number}:status:{ticket.version or 0}")
