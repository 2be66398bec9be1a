"""Portal routes: a client's tickets, replies and ratings (product.md §3-4)."""

from __future__ import annotations

import functools

from chalicelib.routes.api import IN_WRITE, Call, RouteGroup, next_cursor, page, start_key
from chalicelib.services import notes, ratings, ticket_reads, ticket_views, ticket_writes

routes = RouteGroup(__name__, auth="portal", tag="portal-tickets")

# The public notes a ticket's view carries, oldest first. Nearly every conversation fits, so
# the view stays one GetItem and one Query; a longer one answers `next_notes_cursor`, and
# GET /portal/tickets/{number}/notes?cursor=... pages on (the portal page reads them all).
CONVERSATION_PAGE = 100


@routes.route("/portal/tickets", "GET", summary="My tickets (client admins: scope=organization)",
              query="tickets.PortalTicketListQuery", response="tickets.TicketPage", errors=(403,))
def list_tickets(call: Call) -> dict:
    query = call.query
    items, last_key = ticket_reads.list_for_client(call.client, scope=query.scope, status=query.status,
                                                   limit=query.limit, start_key=start_key(call))
    return page(call, [ticket_views.view(item, call.client) for item in items], last_key)


@routes.route("/portal/tickets", "POST", status=201, summary="Open a ticket",
              body="tickets.PortalTicketCreate", response="tickets.Ticket", errors=(409,), idempotent=IN_WRITE)
def create_ticket(call: Call) -> dict:
    body = call.body
    answer = call.answer_with(functools.partial(ticket_views.view, caller=call.client))
    item = ticket_writes.create(subject=body.subject, description=body.description, priority=body.priority,
                                category=body.category, requester_id=call.client.id,
                                created_by=f"client:{call.client.id}", opened_by=call.client,
                                upload_ids=body.attachments, asset_id=body.asset_id, once=call.once)
    return answer(item)


@routes.route("/portal/tickets/{number}", "GET", summary="A ticket with its public conversation "
              "(the first notes; next_notes_cursor when there are more)",
              response="tickets.TicketWithNotes", errors=(404,))
def get_ticket(call: Call, number: str) -> dict:
    item = ticket_reads.load_visible(number, call.client)
    conversation, last_key = notes.list_notes(int(item.number), call.client, limit=CONVERSATION_PAGE)
    return {**ticket_views.view(item, call.client), "notes": [notes.note_view(n, call.client) for n in conversation],
            "next_notes_cursor": next_cursor(call, last_key, of=list_notes)}


@routes.route("/portal/tickets/{number}/notes", "GET", summary="A ticket's public notes, oldest first "
              "(cursor: next_notes_cursor of the ticket, or next_cursor)", query="common.PageQuery",
              response="tickets.NotePage", errors=(404,))
def list_notes(call: Call, number: str) -> dict:
    item = ticket_reads.load_visible(number, call.client)
    found, last_key = notes.list_notes(int(item.number), call.client, limit=call.query.limit,
                                       start_key=start_key(call))
    return page(call, [notes.note_view(n, call.client) for n in found], last_key)


@routes.route("/portal/tickets/{number}", "PATCH", summary="Edit my ticket while it is not resolved or closed",
              body="tickets.PortalTicketUpdate", response="tickets.Ticket", errors=(403, 404, 409))
def update_ticket(call: Call, number: str) -> dict:
    item = ticket_writes.update_by_client(number, call.client, call.body.model_dump(exclude_unset=True))
    return ticket_views.view(item, call.client)


@routes.route("/portal/tickets/{number}/notes", "POST", status=201, summary="Reply",
              body="tickets.PortalNoteCreate", response="tickets.Note", errors=(404, 409), idempotent=IN_WRITE)
def reply(call: Call, number: str) -> dict:
    answer = call.answer_with(functools.partial(notes.note_view, caller=call.client))
    item = ticket_reads.load_visible_once(number, call.client, call.once)
    note = notes.add_note(item, call.client, call.body.body, upload_ids=call.body.attachments, once=call.once)
    return answer(note)


@routes.route("/portal/tickets/{number}/rating", "POST", summary="Rate a resolved ticket (when rating is on)",
              body="tickets.RatingCreate", response="tickets.Ticket", errors=(403, 404, 409))
def rate(call: Call, number: str) -> dict:
    item = ratings.rate(number, call.client, call.body.score, call.body.comment)
    return ticket_views.view(item, call.client)


@routes.route("/portal/tickets/{number}/watch", "PUT", summary="Watch a ticket: choose which events mail you",
              body="tickets.WatchUpdate", response="tickets.Ticket", errors=(404, 409))
def watch(call: Call, number: str) -> dict:
    from chalicelib.services import watching

    return ticket_views.view(watching.watch(number, call.client, list(call.body.events)), call.client)


@routes.route("/portal/tickets/{number}/watch", "DELETE", summary="Stop watching a ticket",
              response="tickets.Ticket", errors=(404, 409))
def unwatch(call: Call, number: str) -> dict:
    from chalicelib.services import watching

    return ticket_views.view(watching.unwatch(number, call.client), call.client)
