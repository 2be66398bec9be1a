"""Portal routes: a client's tickets, replies and ratings (product.md §3-4)."""

from __future__ import annotations

from chalicelib.cursor import encode_cursor
from chalicelib.routes.api import Call, RouteGroup, page, start_key
from chalicelib.services import notes, tickets

routes = RouteGroup(__name__, auth="portal", tag="portal-tickets")
blueprint = routes.blueprint

# The public notes a ticket's view carries, oldest first. Nearly every conversation fits, so
# the view stays one GetItem and one Query; a longer one answers `next_notes_cursor`, and
# GET /portal/tickets/{number}/notes?cursor=... pages on (the portal page reads them all).
CONVERSATION_PAGE = 100


def _notes_scope(number: int) -> str:
    return f"portal-notes:{number}"


@routes.route("/portal/tickets", "GET", summary="My tickets (client admins: scope=organization)",
              query="tickets.PortalTicketListQuery", response="tickets.TicketPage", errors=(403,))
def list_tickets(call: Call) -> dict:
    query = call.query
    scope = f"portal-tickets:{call.client.id}:{query.scope}:{query.status or ''}"
    items, last_key = tickets.list_for_client(call.client, scope=query.scope, status=query.status,
                                              limit=query.limit, start_key=start_key(scope, query))
    return page(scope, [tickets.client_view(item) for item in items], last_key)


@routes.route("/portal/tickets", "POST", status=201, summary="Open a ticket (honours Idempotency-Key)",
              body="tickets.PortalTicketCreate", response="tickets.Ticket", errors=(409,))
def create_ticket(call: Call) -> dict:
    body = call.body

    def create() -> dict:
        item = tickets.create(subject=body.subject, description=body.description, priority=body.priority,
                              category=body.category, requester_id=call.client.id,
                              created_by=f"client:{call.client.id}", opened_by=call.client,
                              upload_ids=body.attachments)
        return tickets.client_view(item)

    return call.once("portal-ticket", create)


@routes.route("/portal/tickets/{number}", "GET", summary="A ticket with its public conversation "
              "(the first notes; next_notes_cursor when there are more)",
              response="tickets.TicketWithNotes", errors=(404,))
def get_ticket(call: Call, number: str) -> dict:
    item = tickets.load_for_client(number, call.client)
    conversation, last_key = notes.list_notes(int(item.number), include_internal=False, limit=CONVERSATION_PAGE)
    return {**tickets.client_view(item), "notes": [notes.note_view(n, for_client=True) for n in conversation],
            "next_notes_cursor": encode_cursor(_notes_scope(int(item.number)), last_key)}


@routes.route("/portal/tickets/{number}/notes", "GET", summary="A ticket's public notes, oldest first "
              "(cursor: next_notes_cursor of the ticket, or next_cursor)", query="common.PageQuery",
              response="tickets.NotePage", errors=(404,))
def list_notes(call: Call, number: str) -> dict:
    item = tickets.load_for_client(number, call.client)
    scope = _notes_scope(int(item.number))
    found, last_key = notes.list_notes(int(item.number), include_internal=False, limit=call.query.limit,
                                       start_key=start_key(scope, call.query))
    return page(scope, [notes.note_view(n, for_client=True) for n in found], last_key)


@routes.route("/portal/tickets/{number}", "PATCH", summary="Edit my ticket while it is not resolved or closed",
              body="tickets.PortalTicketUpdate", response="tickets.Ticket", errors=(403, 404, 409))
def update_ticket(call: Call, number: str) -> dict:
    item = tickets.update_by_client(number, call.client, call.body.model_dump(exclude_unset=True))
    return tickets.client_view(item)


@routes.route("/portal/tickets/{number}/notes", "POST", status=201, summary="Reply (honours Idempotency-Key)",
              body="tickets.PortalNoteCreate", response="tickets.Note", errors=(404, 409))
def reply(call: Call, number: str) -> dict:
    client = call.client

    def add() -> dict:
        item = tickets.load_for_client(number, call.client)
        author = notes.Author("client", client.id, client.name or client.email)
        note = notes.add_note(item, author, call.body.body, upload_ids=call.body.attachments)
        return notes.note_view(note, for_client=True)

    return call.once(f"portal-note:{number}", add)


@routes.route("/portal/tickets/{number}/rating", "POST", summary="Rate a resolved ticket (when rating is on)",
              body="tickets.RatingCreate", response="tickets.Ticket", errors=(403, 404, 409))
def rate(call: Call, number: str) -> dict:
    item = tickets.set_rating(number, call.client, call.body.score, call.body.comment)
    return tickets.client_view(item)
