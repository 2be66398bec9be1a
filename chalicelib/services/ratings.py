"""The satisfaction report (product.md §4): average rating per agent (the assignees when
the ticket was resolved) against the team average. Reads only rated tickets, through
the sparse `rated_by_time` index, optionally within a time range."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from chalicelib.ids import iso
from chalicelib.models.tickets import RATED, TicketModel


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
    agents = [{"agent": name, "count": len(values), "average": round(sum(values) / len(values), 2)}
              for name, values in sorted(per_agent.items())]
    team = {"count": len(scores), "average": round(sum(scores) / len(scores), 2) if scores else None}
    return {"agents": agents, "team": team, "from": iso(since), "to": iso(until)}
