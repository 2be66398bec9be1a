"""Ratings (product.md §4): the requester rates a finished ticket, when rating is on; and the
satisfaction report: average rating per agent (the assignees when the ticket was resolved)
against the team average. The report reads only rated tickets, through the sparse
`rated_by_time` index, optionally within a time range, and names each agent (one Cognito
read per agent in the report)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.errors import Conflict, Forbidden
from chalicelib.identity import ActingClient
from chalicelib.ids import iso, utcnow
from chalicelib.models.tickets import RATED, TicketModel
from chalicelib.services import ticket_status
from chalicelib.services.agent_directory import agent_profiles
from chalicelib.services.agents import AgentRecord
from chalicelib.services.settings import get_settings
from chalicelib.services.ticket_reads import load_visible
from chalicelib.services.ticket_writes import activity_key


def rate(number: int | str, client: ActingClient, score: int, comment: str | None) -> TicketModel:
    """The requester rates a ticket the status table lets be rated (ticket_status.may_be_rated)."""
    if not get_settings().allow_client_rating:
        raise Forbidden("Rating is not enabled on this portal.")  # api.md's plain 403 code
    item = load_visible(number, client)
    if item.requester_id != client.id:
        raise Forbidden("Only the requester rates a ticket.")
    if not ticket_status.may_be_rated(item.status):
        raise Conflict("Only a resolved ticket can be rated.")
    now = utcnow()
    actions = [TicketModel.rating_score.set(score), TicketModel.rated_at.set(now),
               TicketModel.rated.set(RATED), TicketModel.rated_at_key.set(activity_key(now, int(item.number))),
               TicketModel.updated_at.set(now), TicketModel.client_updated_at.set(now)]
    actions.append(TicketModel.rating_comment.set(comment) if comment else TicketModel.rating_comment.remove())
    try:
        # UpdateItem answers with the whole item (ALL_NEW) and PynamoDB loads it into `item`.
        # The condition: the ticket may have been reopened since it was read.
        item.update(actions=actions, condition=TicketModel.status.is_in(*ticket_status.RATABLE))
    except UpdateError:
        raise Conflict("The ticket was reopened meanwhile.") from None
    return item


def _shown_as(agent: AgentRecord | None) -> dict[str, str | None]:
    """An agent's name and email; both None for one no longer in the pool (the username stays)."""
    return {"name": agent.name if agent else None, "email": agent.email if agent else None}


def ratings_report(*, since: datetime | None = None, until: datetime | None = None) -> dict[str, Any]:
    condition = None
    if since and until:
        condition = TicketModel.rated_at_key.between(iso(since), f"{iso(until)}~")
    elif since:
        condition = TicketModel.rated_at_key >= iso(since)
    elif until:
        condition = TicketModel.rated_at_key <= f"{iso(until)}~"
    per_agent: dict[str, list[int]] = defaultdict(list)
    scores: list[int] = []
    for ticket in TicketModel.rated_by_time.query(RATED, condition):
        score = int(ticket.rating_score)
        scores.append(score)
        for username in ticket.rated_assignees or ticket.assignees or []:
            per_agent[username].append(score)
    profiles = agent_profiles(sorted(per_agent))
    agents = [{"agent": username, **_shown_as(profiles[username]),
               "count": len(values), "average": round(sum(values) / len(values), 2)}
              for username, values in sorted(per_agent.items())]
    team = {"count": len(scores), "average": round(sum(scores) / len(scores), 2) if scores else None}
    return {"agents": agents, "team": team, "from": iso(since), "to": iso(until)}
