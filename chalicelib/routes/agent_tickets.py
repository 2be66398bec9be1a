"""Agent API: tickets and notes (product.md §3). Every agent reads tickets, writes notes
and changes status or priority; assigning and blocking client view need manage-tickets."""

from __future__ import annotations

from chalicelib.routes.api import Call, RouteGroup, page, start_key
from chalicelib.services import notes, tickets
from chalicelib.services.agent_auth import require_permission

routes = RouteGroup(__name__, auth="agent", tag="tickets")
blueprint = routes.blueprint


def _assignees(call: Call, usernames: list[str] | None) -> dict[str, str] | None:
    if usernames is None:
        return None
    require_permission(call.agent, "manage-tickets")
    from chalicelib.services.agent_directory import agent_emails

    return agent_emails(usernames)


@routes.route("/agent/tickets", "GET", summary="List tickets (filters: status, assignee, organization, requester)",
              query="tickets.AgentTicketListQuery", response="tickets.AgentTicketPage")
def list_tickets(call: Call) -> dict:
    q = call.query
    scope = f"agent-tickets:{q.status or ''}:{q.assignee or ''}:{q.organization_id or ''}:{q.requester_id or ''}"
    items, last_key = tickets.list_for_agent(status=q.status, assignee=q.assignee, organization_id=q.organization_id,
                                             requester_id=q.requester_id, limit=q.limit,
                                             start_key=start_key(scope, q))
    return page(scope, [tickets.agent_view(item) for item in items], last_key)


@routes.route("/agent/tickets", "POST", status=201, summary="Open a ticket on behalf of a client "
              "(honours Idempotency-Key)", body="tickets.AgentTicketCreate", response="tickets.AgentTicket",
              errors=(403, 409))
def create_ticket(call: Call) -> dict:
    body = call.body
    assignees = _assignees(call, body.assignees)

    def create() -> dict:
        item = tickets.create(subject=body.subject, description=body.description, priority=body.priority,
                              category=body.category, requester_id=body.requester_id, status=body.status,
                              assignees=assignees, created_by=f"agent:{call.agent.username}",
                              upload_ids=body.attachments)
        return tickets.agent_view(item)

    return call.once("agent-ticket", create)


@routes.route("/agent/tickets/{number}", "GET", summary="A ticket", response="tickets.AgentTicket", errors=(404,))
def get_ticket(call: Call, number: str) -> dict:
    return tickets.agent_view(tickets.load(number))


@routes.route("/agent/tickets/{number}", "PATCH", summary="Change status, priority, category, assignees, "
              "client view", body="tickets.AgentTicketUpdate", response="tickets.AgentTicket",
              errors=(403, 404, 409))
def update_ticket(call: Call, number: str) -> dict:
    changes = call.body.model_dump(exclude_unset=True)
    if changes.get("block_client_view") is not None:
        require_permission(call.agent, "manage-tickets")
    assignees = _assignees(call, changes.pop("assignees", None))
    item = tickets.update_by_agent(number, changes, version=changes.pop("version", None), assignee_emails=assignees)
    return tickets.agent_view(item)


@routes.route("/agent/tickets/{number}/notes", "GET", summary="Every note of a ticket, internal ones included",
              query="common.PageQuery", response="tickets.AgentNotePage", errors=(404,))
def list_notes(call: Call, number: str) -> dict:
    item = tickets.load(number)
    scope = f"agent-notes:{int(item.number)}"
    found, last_key = notes.list_notes(int(item.number), include_internal=True, limit=call.query.limit,
                                       start_key=start_key(scope, call.query))
    return page(scope, [notes.note_view(n, for_client=False) for n in found], last_key)


@routes.route("/agent/tickets/{number}/notes", "POST", status=201, summary="Add a public or internal note "
              "(honours Idempotency-Key)", body="tickets.AgentNoteCreate", response="tickets.AgentNote",
              errors=(404, 409))
def add_note(call: Call, number: str) -> dict:
    body, agent = call.body, call.agent

    def add() -> dict:
        item = tickets.load(number)
        author = notes.Author("agent", agent.username, agent.display_name)
        note = notes.add_note(item, author, body.body, internal=body.internal, notify_contact=body.notify_contact,
                              notify_assignees=body.notify_assignees, upload_ids=body.attachments)
        return notes.note_view(note, for_client=False)

    return call.once(f"agent-note:{number}", add)


@routes.route("/agent/reports/ratings", "GET", summary="Average rating per agent and the team average",
              permission="view-reports", query="tickets.RatingsQuery", response="tickets.RatingsReport")
def ratings_report(call: Call) -> dict:
    from chalicelib.services.ratings import ratings_report as report

    return report(since=call.query.since, until=call.query.until)
