"""Notes on tickets (product.md §3): public or internal, written by agents or clients,
each with its notification emails queued in the same transaction as the note.

The caller is the author; what they may read is visibility's rule (clients never see an
internal note), what a client's reply does to the ticket is ticket_status's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.models import Model

from chalicelib.errors import Conflict
from chalicelib.identity import ActingAgent, Caller, TicketRequester
from chalicelib.ids import iso, new_id, utcnow
from chalicelib.models.base import key_after_returned
from chalicelib.models.notes import NoteModel
from chalicelib.models.tickets import TicketModel
from chalicelib.services import attachments, notifications, ticket_status, visibility, watching
from chalicelib.services.settings import get_settings
from chalicelib.services.ticket_reads import load, requester_state
from chalicelib.services.ticket_writes import (
    activity_key,
    assignments_with_status,
    prepare_files,
    status_actions,
    touch_actions,
    write_plan,
)
from chalicelib.services.transaction_plan import ItemUpdate, TransactionPlan

if TYPE_CHECKING:
    from chalicelib.services.idempotency import WriteOnce

CLIENT_AUTHOR = "client"
AGENT_AUTHOR = "agent"


def note_view(note: NoteModel, caller: Caller) -> dict[str, Any]:
    """The note as `caller` may see it: agents also see who exactly wrote it and its options."""
    view = {"id": note.id, "ticket_number": int(note.ticket_id), "author": {"kind": note.author_kind,
                                                                            "name": note.author_name},
            "body": note.body, "created_at": iso(note.created_at),
            "attachments": attachments.listed(note.attachments)}
    if visibility.sees_internals(caller):
        view["author"]["id"] = note.author_id
        view.update(internal=bool(note.internal), notify_contact=note.notify_contact,
                    notify_assignees=note.notify_assignees)
    return view


def list_notes(number: int, caller: Caller, *, limit: int = 100, start_key: dict | None = None
               ) -> tuple[list[NoteModel], dict | None]:
    """One Query, oldest first: the notes of ticket `number` that `caller` may see
    (visibility.note_visible, applied in DynamoDB). The caller may see the ticket: checked
    when it was loaded."""
    condition = None if visibility.sees_internals(caller) else NoteModel.internal == False  # noqa: E712
    result = NoteModel.query(str(number), filter_condition=condition, limit=limit, last_evaluated_key=start_key)
    notes = list(result)
    return notes, key_after_returned(result, notes)  # never the key of an internal note


ATTEMPTS = 3


class ClosedTicket(Conflict):
    """A closed ticket takes no client reply (not retried)."""


def add_note(ticket: TicketModel, author: Caller, body: str, *, internal: bool = False,
             notify_contact: bool | None = None, notify_assignees: bool | None = None,
             upload_ids: list[str] | None = None, once: WriteOnce | None = None,
             files: attachments.Binding | None = None, claims: list[Model] | None = None) -> NoteModel:
    """Save the note, touch the ticket, queue the notifications: one transaction.

    A reply may move the ticket (ticket_status: a client's reopens a resolved or pending
    ticket, a closed one takes no reply; an agent's public reply opens a new one; the move
    itself mails nobody, only the note's own notifications go). Two notes at once are both
    kept: the loser of the ticket's version race re-reads the ticket and tries again (a
    failed transaction wrote nothing). `upload_ids`: the author's uploads to attach
    (services/attachments.py), checked once, before any attempt; or `files`, already
    prepared (a mail's). `claims`: items created with the note, refused when one exists
    (mail in: the message's id, so a message makes one note). `once`: the request's
    Idempotency-Key, claimed in the note's transaction (a retry is answered by
    idempotency.Replay; ticket_reads.load_visible_once read its record with the ticket)."""
    if files is None:
        files = prepare_files(attachments.owner_ref(author), upload_ids, once)
    for attempt in range(ATTEMPTS):
        try:
            return _add_note_once(ticket, author, body, internal, notify_contact, notify_assignees, files, once,
                                  claims or [])
        except ClosedTicket:
            raise
        except Conflict:
            if attempt == ATTEMPTS - 1:
                raise
            ticket = load(int(ticket.number))
    raise AssertionError("unreachable")


def _author(caller: Caller) -> tuple[str, str, str]:
    """(kind, id, name) as stored on the note and shown to its readers."""
    if isinstance(caller, ActingAgent):
        return AGENT_AUTHOR, caller.username, caller.display_name
    return CLIENT_AUTHOR, caller.id, caller.name or caller.email


def _add_note_once(ticket: TicketModel, author: Caller, body: str, internal: bool, notify_contact: bool | None,
                   notify_assignees: bool | None, files: attachments.Binding, once: WriteOnce | None,
                   claims: list[Model]) -> NoteModel:
    now = utcnow()
    kind, author_id, author_name = _author(author)
    by_client = kind == CLIENT_AUTHOR
    if by_client:
        status_after = ticket_status.after_client_reply(ticket.status)
    elif internal:
        status_after = ticket.status  # an internal note never moves the ticket
    else:
        status_after = ticket_status.after_agent_public_reply(ticket.status)
    if status_after is None:
        raise ClosedTicket("This ticket is closed. Open a new ticket instead.")
    note = NoteModel(str(int(ticket.number)), new_id(), author_kind=kind, author_id=author_id,
                     author_name=author_name, body=body, internal=internal, notify_contact=notify_contact,
                     notify_assignees=notify_assignees, created_at=now, attachments=files.refs())
    actions = touch_actions(now, int(ticket.number), public=not internal)
    plan = TransactionPlan(creates=[note, *claims])
    if status_after != ticket.status:
        actions += status_actions(ticket, status_after)
        if ticket_status.on_enter(status_after) == ticket_status.CLEARS_RESOLUTION:
            actions.append(TicketModel.resolved_at.remove())
        plan.saves += assignments_with_status(ticket, status_after)
    if not internal or status_after != ticket.status:
        # The CC'd clients' list entries move with the ticket in client lists.
        plan.saves += watching.cc_links(ticket, status=status_after,
                                        client_activity_at=activity_key(now, int(ticket.number))
                                        if not internal else None)
    plan.updates.append(ItemUpdate(ticket, actions, condition=TicketModel.status == ticket.status))
    # A client's note goes to agents only: the requester's account is read for agents' notes.
    requester = (TicketRequester(ticket.requester_id, None, None) if by_client
                 else requester_state(ticket.requester_id))
    recipients = notifications.note_recipients(
        author_kind=kind, author_id=author_id, internal=internal, notify_contact=notify_contact,
        notify_assignees=notify_assignees, requester=requester,
        assignees=dict(ticket.assignee_emails.as_dict() if ticket.assignee_emails else {}),
        agents_email=get_settings().effective_agents_email, blocked=bool(ticket.block_client_view),
        watchers=watching.watchers_of(ticket))
    plan.messages += notifications.note_messages(ticket, note, recipients)
    files.bind(plan, ticket_number=int(ticket.number), note_id=note.id, internal=internal)
    write_plan(plan, "The ticket changed meanwhile; try again.", once=once, answer=note)
    return note
