"""Notes on tickets (product.md §3): public or internal, written by agents or clients,
each with its notification emails queued in the same transaction as the note."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import Conflict
from chalicelib.identity import TicketRequester
from chalicelib.ids import iso, new_id, utcnow
from chalicelib.models.notes import NoteModel
from chalicelib.models.outbox import OutboxModel
from chalicelib.models.tickets import TicketModel
from chalicelib.services import attachments, notifications, tickets
from chalicelib.services.settings import get_settings


@dataclass(frozen=True)
class Author:
    kind: str  # client | agent
    id: str  # client id or agent username
    name: str


def note_view(note: NoteModel, *, for_client: bool) -> dict[str, Any]:
    view = {"id": note.id, "ticket_number": int(note.ticket_id), "author": {"kind": note.author_kind,
                                                                            "name": note.author_name},
            "body": note.body, "created_at": iso(note.created_at),
            "attachments": attachments.listed(note.attachments)}
    if not for_client:
        view["author"]["id"] = note.author_id
        view.update(internal=bool(note.internal), notify_contact=note.notify_contact,
                    notify_assignees=note.notify_assignees)
    return view


def list_notes(number: int, *, include_internal: bool, limit: int = 100, start_key: dict | None = None
               ) -> tuple[list[NoteModel], dict | None]:
    """One Query, oldest first; clients get public notes only (filtered in DynamoDB)."""
    condition = None if include_internal else NoteModel.internal == False  # noqa: E712  (DynamoDB condition)
    result = NoteModel.query(str(number), filter_condition=condition, limit=limit, last_evaluated_key=start_key)
    return list(result), result.last_evaluated_key


ATTEMPTS = 3


class ClosedTicket(Conflict):
    """A closed ticket takes no client reply (not retried)."""


def add_note(ticket: TicketModel, author: Author, body: str, *, internal: bool = False,
             notify_contact: bool | None = None, notify_assignees: bool | None = None,
             upload_ids: list[str] | None = None) -> NoteModel:
    """Save the note, touch the ticket, queue the notifications: one transaction.

    A client's reply reopens a resolved or pending ticket; a closed one takes no reply.
    Two notes at once are both kept: the loser of the ticket's version race re-reads the
    ticket and tries again (a failed transaction wrote nothing). `upload_ids`: the author's
    uploads to attach (services/attachments.py), checked once before any attempt."""
    files = attachments.prepare_binding(f"{author.kind}:{author.id}", upload_ids)
    for attempt in range(ATTEMPTS):
        try:
            return _add_note_once(ticket, author, body, internal, notify_contact, notify_assignees, files)
        except ClosedTicket:
            raise
        except Conflict:
            if attempt == ATTEMPTS - 1:
                raise
            ticket = tickets.load(int(ticket.number))
    raise AssertionError("unreachable")


def _add_note_once(ticket: TicketModel, author: Author, body: str, internal: bool, notify_contact: bool | None,
                   notify_assignees: bool | None, files: attachments.Binding) -> NoteModel:
    now = utcnow()
    if author.kind == "client" and ticket.status == "closed":
        raise ClosedTicket("This ticket is closed. Open a new ticket instead.")
    note = NoteModel(str(int(ticket.number)), new_id(), author_kind=author.kind, author_id=author.id,
                     author_name=author.name, body=body, internal=internal, notify_contact=notify_contact,
                     notify_assignees=notify_assignees, created_at=now, attachments=files.refs())
    actions = tickets.touch_actions(now, int(ticket.number), public=not internal)
    condition = TicketModel.status == ticket.status
    reopens = author.kind == "client" and ticket.status in ("resolved", "pending")
    if reopens:
        actions += [*tickets.status_actions(ticket, "open"), TicketModel.resolved_at.remove()]
    # A client's note goes to agents only: the requester's account is read for agents' notes.
    requester = (tickets.requester_state(ticket.requester_id) if author.kind == "agent"
                 else TicketRequester(ticket.requester_id, None, None))
    recipients = notifications.note_recipients(
        author_kind=author.kind, author_id=author.id, internal=internal, notify_contact=notify_contact,
        notify_assignees=notify_assignees, requester=requester,
        assignees=dict(ticket.assignee_emails.as_dict() if ticket.assignee_emails else {}),
        agents_email=get_settings().effective_agents_email, blocked=bool(ticket.block_client_view))
    try:
        with TransactWrite(connection=tickets._connection()) as tx:
            tx.save(note, condition=NoteModel.id.does_not_exist())
            tx.update(ticket, actions=actions, condition=condition)
            if reopens:
                for assignment in tickets.assignments_with_status(ticket, "open"):
                    tx.save(assignment)
            for message in notifications.note_messages(ticket, note, recipients):
                tx.save(message, condition=OutboxModel.id.does_not_exist())
            files.add_to(tx, ticket_number=int(ticket.number), note_id=note.id, internal=internal)
    except TransactWriteError:
        raise Conflict("The ticket changed meanwhile; try again.") from None
    return note
