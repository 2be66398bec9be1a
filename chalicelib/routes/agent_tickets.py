"""Agent API: tickets and notes (product.md §3). Every agent reads tickets, writes notes
and changes status or priority; assigning, blocking client view and CC need manage-tickets
(ticket_writes.AGENT_CHANGE_PERMISSIONS)."""

from __future__ import annotations

import functools

from chalicelib.routes.api import IN_WRITE, Call, RouteGroup, page, start_key
from chalicelib.services import notes, ticket_reads, ticket_views, ticket_writes

routes = RouteGroup(__name__, auth="agent", tag="tickets")


@routes.route("/agent/tickets", "GET", summary="List tickets (filters: status, assignee, organization, requester)",
              query="tickets.AgentTicketListQuery", response="tickets.AgentTicketPage")
def list_tickets(call: Call) -> dict:
    q = call.query
    items, last_key = ticket_reads.list_for_agent(status=q.status, assignee=q.assignee,
                                                  organization_id=q.organization_id, requester_id=q.requester_id,
                                                  limit=q.limit, start_key=start_key(call))
    return page(call, [ticket_views.view(item, call.agent) for item in items], last_key)


@routes.route("/agent/tickets", "POST", status=201, summary="Open a ticket on behalf of a client",
              body="tickets.AgentTicketCreate", response="tickets.AgentTicket", errors=(403, 409),
              idempotent=IN_WRITE)
def create_ticket(call: Call) -> dict:
    body = call.body
    answer = call.answer_with(functools.partial(ticket_views.view, caller=call.agent))
    assignees = ticket_writes.assignees_for(call.agent, body.assignees)
    item = ticket_writes.create(subject=body.subject, description=body.description, priority=body.priority,
                                category=body.category, requester_id=body.requester_id, status=body.status,
                                assignees=assignees, created_by=f"agent:{call.agent.username}",
                                upload_ids=body.attachments, asset_id=body.asset_id, once=call.once)
    return answer(item)


@routes.route("/agent/tickets/{number}", "GET", summary="A ticket", response="tickets.AgentTicket", errors=(404,))
def get_ticket(call: Call, number: str) -> dict:
    return ticket_views.view(ticket_reads.load_visible(number, call.agent), call.agent)


@routes.route("/agent/tickets/{number}", "PATCH", summary="Change status, priority, category, assignees, "
              "client view", body="tickets.AgentTicketUpdate", response="tickets.AgentTicket",
              errors=(403, 404, 409))
def update_ticket(call: Call, number: str) -> dict:
    item = ticket_writes.update_by_agent(number, call.agent, call.body.model_dump(exclude_unset=True))
    return ticket_views.view(item, call.agent)


@routes.route("/agent/tickets/{number}/notes", "GET", summary="Every note of a ticket, internal ones included",
              query="common.PageQuery", response="tickets.AgentNotePage", errors=(404,))
def list_notes(call: Call, number: str) -> dict:
    item = ticket_reads.load_visible(number, call.agent)
    found, last_key = notes.list_notes(int(item.number), call.agent, limit=call.query.limit,
                                       start_key=start_key(call))
    return page(call, [notes.note_view(n, call.agent) for n in found], last_key)


@routes.route("/agent/tickets/{number}/notes", "POST", status=201, summary="Add a public or internal note",
              body="tickets.AgentNoteCreate", response="tickets.AgentNote", errors=(404, 409),
              idempotent=IN_WRITE)
def add_note(call: Call, number: str) -> dict:
    body, agent = call.body, call.agent
    answer = call.answer_with(functools.partial(notes.note_view, caller=agent))
    item = ticket_reads.load_visible_once(number, agent, call.once)
    note = notes.add_note(item, agent, body.body, internal=body.internal, notify_contact=body.notify_contact,
                          notify_assignees=body.notify_assignees, upload_ids=body.attachments, once=call.once)
    return answer(note)


@routes.route("/agent/reports/ratings", "GET", summary="Average rating per agent and the team average",
              permission="view-reports", query="tickets.RatingsQuery", response="tickets.RatingsReport")
def ratings_report(call: Call) -> dict:
    from chalicelib.services.ratings import ratings_report as report

    return report(since=call.query.since, until=call.query.until)
