"""Tickets as answered (api.md): what a client sees, and what an agent sees besides."""

from __future__ import annotations

from typing import Any

from chalicelib.identity import Caller
from chalicelib.ids import iso
from chalicelib.models.tickets import TicketModel
from chalicelib.services.attachments import listed
from chalicelib.services.ticket_status import client_may_edit
from chalicelib.services.visibility import sees_internals


def view(item: TicketModel, caller: Caller) -> dict[str, Any]:
    """The ticket as `caller` may see it (visibility.sees_internals decides which shape)."""
    if sees_internals(caller):
        return _agent_view(item)
    from chalicelib.services.watching import watching_view

    return {**_client_view(item), "watching": watching_view(item, caller)}


def _client_view(item: TicketModel) -> dict[str, Any]:
    """What a client sees: no assignees' identities, no internal counts, no block flag, and
    as "updated" the last change a client can see (an internal note or a reassignment is
    not one)."""
    return {
        "number": int(item.number), "subject": item.subject, "description": item.description,
        "status": item.status, "priority": item.priority, "category": item.category,
        "requester": {"id": item.requester_id, "name": item.requester_name, "email": item.requester_email},
        "organization_id": item.organization_id, "public_note_count": int(item.public_notes or 0),
        "created_at": iso(item.created_at), "updated_at": iso(item.client_updated_at or item.updated_at),
        "resolved_at": iso(item.resolved_at),
        "rating": _rating(item), "editable": client_may_edit(item.status),
        "attachments": listed(item.attachments),
        "asset": {"id": item.asset_id, "name": item.asset_name} if item.asset_id else None,
    }


def _agent_view(item: TicketModel) -> dict[str, Any]:
    """Agents see real activity: `updated_at` is the last change of any kind."""
    return {
        **_client_view(item), "updated_at": iso(item.updated_at), "assignees": list(item.assignees or []),
        "block_client_view": bool(item.block_client_view), "cc": list(item.cc or []),
        "watchers": _watchers(item), "watching": None,
        "created_by": item.created_by, "version": int(item.version or 0),
    }


def _rating(item: TicketModel) -> dict[str, Any] | None:
    if item.rating_score is None:
        return None
    return {"score": int(item.rating_score), "comment": item.rating_comment, "rated_at": iso(item.rated_at)}


def _watchers(item: TicketModel) -> dict[str, list[str]]:
    raw = item.watchers.as_dict() if item.watchers is not None and hasattr(item.watchers, "as_dict") else (
        dict(item.watchers or {}))
    return {client_id: [e for e in str(events).split(",") if e] for client_id, events in raw.items()}
