"""Watching a ticket and CC (product.md §12): a client watches a ticket they may see and
chooses which events mail them; agents CC colleagues of the requester's organization, who
then see the ticket (visibility) in their own list and get its mail (notifications).

Both live on the ticket item (`watchers`, `cc`), so answering, showing and mailing need no
other read of the tickets table; a CC'd client's list reads the ticket's CC link items (see
models/tickets.py), which every write that moves the ticket in a client's list rewrites.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.errors import Conflict, InvalidInput
from chalicelib.identity import ActingClient, Caller, TicketRequester
from chalicelib.models.tickets import CC_KIND, CcLinkModel, TicketModel, cc_link_id, status_key
from chalicelib.models.users import CLIENT_ADMIN, CLIENT_KIND, UserModel
from chalicelib.services import visibility
from chalicelib.services.notifications import WATCH_EVENTS, Watcher
from chalicelib.services.ticket_reads import load_visible

MAX_WATCHERS = 20  # per ticket: a transaction also carries their mail (DynamoDB: 100 items at most)
MAX_CC = 10
ATTEMPTS = 3


def _events_of(ticket: TicketModel) -> dict[str, str]:
    raw = ticket.watchers
    if raw is None:
        return {}
    return raw.as_dict() if hasattr(raw, "as_dict") else dict(raw)


def watching_view(ticket: TicketModel, caller: Caller) -> dict[str, Any] | None:
    """A client's `watching` in a ticket's answer: their events, and whether they are CC'd."""
    if visibility.sees_internals(caller):
        return None
    events = _events_of(ticket).get(caller.id)
    cc = caller.id in (ticket.cc or [])
    if events is None and not cc:
        return None
    return {"events": [e for e in WATCH_EVENTS if e in (events or "").split(",")], "cc": cc}


def watch(number: int | str, client: ActingClient, events: list[str]) -> TicketModel:
    """Watch a ticket the client may see (a client admin: their organization's too), for
    `events`; again: replaces the events. The ticket's version goes up (a concurrent agent
    change that read the old one is 409, never a lost watcher)."""
    chosen = ",".join(e for e in WATCH_EVENTS if e in set(events))
    if not chosen:
        raise InvalidInput("Choose at least one event.", fields={"events": "at least one event"})
    return _change(number, client, chosen)


def unwatch(number: int | str, client: ActingClient) -> TicketModel:
    return _change(number, client, None)


def _change(number: int | str, client: ActingClient, events: str | None) -> TicketModel:
    for attempt in range(ATTEMPTS):
        ticket = load_visible(number, client)
        current = _events_of(ticket)
        if events is None and client.id not in current:
            return ticket
        if events is not None and client.id not in current and len(current) >= MAX_WATCHERS:
            raise Conflict(f"A ticket has at most {MAX_WATCHERS} watchers.")
        if events is None:
            action = TicketModel.watchers[client.id].remove()
        elif ticket.watchers is None:
            action = TicketModel.watchers.set({client.id: events})
        else:
            action = TicketModel.watchers[client.id].set(events)
        try:
            ticket.update(actions=[action])  # versioned: conditioned on the version just read
            return ticket
        except UpdateError:
            if attempt == ATTEMPTS - 1:
                raise Conflict("The ticket changed meanwhile; try again.") from None
    raise AssertionError("unreachable")


# --- CC ---------------------------------------------------------------------------------

def check_cc(ticket: TicketModel, client_ids: list[str]) -> list[str]:
    """400 unless every id is an existing client of the requester's organization (not the
    requester); the list as stored (unique, in order). One BatchGet."""
    wanted = list(dict.fromkeys(client_ids))
    if len(wanted) > MAX_CC:
        raise InvalidInput(f"At most {MAX_CC} clients in CC.", fields={"cc": "too many"})
    if not wanted:
        return []
    if not ticket.organization_id:
        raise InvalidInput("Only colleagues of the requester's organization can be CC'd; the requester has none.",
                           fields={"cc": "no organization"})
    keys = [i for i in wanted if i and "#" not in i and len(i) <= 64]
    found = {item.id: item for item in UserModel.batch_get(keys)} if keys else {}
    for client_id in wanted:
        item = found.get(client_id)
        if (item is None or item.kind != CLIENT_KIND or item.organization_id != ticket.organization_id
                or client_id == ticket.requester_id):
            raise InvalidInput("CC takes colleagues of the requester's organization.",
                               fields={"cc": f"{client_id} is not a colleague of the requester"})
    return wanted


def cc_links(ticket: TicketModel, *, status: str | None = None, client_activity_at: str | None = None
             ) -> list[CcLinkModel]:
    """The ticket's CC link items as they must be now (its status and client activity, or
    those given: a writer that updates rather than saves the ticket)."""
    status = status or ticket.status
    return [CcLinkModel(cc_link_id(int(ticket.number), client_id), kind=CC_KIND, ticket_number=int(ticket.number),
                        requester_id=client_id, requester_status=status_key(client_id, status),
                        client_activity_at=client_activity_at or ticket.client_activity_at,
                        block_client_view=bool(ticket.block_client_view))
            for client_id in ticket.cc or []]


def removed_links(number: int, before: list[str], after: list[str]) -> list[CcLinkModel]:
    return [CcLinkModel(cc_link_id(number, client_id)) for client_id in before if client_id not in after]


# --- mail -------------------------------------------------------------------------------

def _still_sees(item: UserModel, ticket: TicketModel, cc: set[str]) -> bool:
    """visibility.ticket_visible for an account read now (a watcher may have left the
    organization since); the block flag is the mail rules' own check."""
    return (item.id == ticket.requester_id
            or (item.id in cc and visibility.cc_still_colleague(item.organization_id, ticket))
            or (item.role == CLIENT_ADMIN and bool(item.organization_id)
                and item.organization_id == ticket.organization_id))


def watchers_of(ticket: TicketModel) -> tuple[Watcher, ...]:
    """The ticket's watchers and CC'd clients with their accounts now (one BatchGet; none when
    the ticket has neither)."""
    events = _events_of(ticket)
    cc = set(ticket.cc or [])
    ids = list(dict.fromkeys([*events, *cc]))
    if not ids:
        return ()
    accounts = {item.id: item for item in UserModel.batch_get(ids)}
    found = []
    for client_id in ids:
        item = accounts.get(client_id)
        if item is None or item.kind != CLIENT_KIND or not _still_sees(item, ticket, cc):
            continue
        found.append(Watcher(TicketRequester(item.id, item.email, item.status),
                             frozenset((events.get(client_id) or "").split(",")) - {""}, client_id in cc))
    return tuple(found)

