"""Reading tickets (product.md §3): one ticket as a caller may see it, the clients' lists,
the agents' lists and queues. Key lookups and Queries only.

What a caller may see is decided in services/visibility.py and applied here: a ticket a
client may not see is 404, never 403, and is left out of their lists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.errors import Forbidden, NotFound
from chalicelib.identity import ActingClient, Caller, TicketRequester
from chalicelib.models.base import get_of_kind, key_after_returned
from chalicelib.models.batch import get_both
from chalicelib.models.shards import query_shards
from chalicelib.models.tickets import CC_KIND, TICKET_KIND, AssignmentModel, TicketModel, status_key
from chalicelib.services import visibility
from chalicelib.services.client_store import find_item

if TYPE_CHECKING:
    from chalicelib.services.idempotency import WriteOnce


def _ticket_key(number: int | str) -> str:
    key = str(number)
    if not key.isdigit() or len(key) > 12:
        raise NotFound("Ticket not found.")
    return key


def load(number: int | str) -> TicketModel:
    """Any ticket, whoever may see it: for agents, and for re-reading one already shown."""
    key = _ticket_key(number)
    item = get_of_kind(TicketModel, key, TICKET_KIND)
    if item is None:
        raise NotFound("Ticket not found.")
    return item


def load_visible(number: int | str, caller: Caller) -> TicketModel:
    item = load(number)
    if not visibility.ticket_visible(caller, item):
        raise NotFound("Ticket not found.")
    return item


def load_visible_once(number: int | str, caller: Caller, once: WriteOnce | None) -> TicketModel:
    """`load_visible` for a write carrying an Idempotency-Key: the key's record is read in the
    same call (one BatchGetItem, strongly consistent), and a retry is answered from it
    (idempotency.Replay) before anything else is read or checked."""
    if once is None:
        return load_visible(number, caller)
    from chalicelib.models.idempotency import IdempotencyRecord

    found = get_both(TicketModel, _ticket_key(number), IdempotencyRecord, once.record_id)
    once.replay_if_stored(found.get(IdempotencyRecord))
    item = found.get(TicketModel)
    if item is None or item.kind != TICKET_KIND or not visibility.ticket_visible(caller, item):
        raise NotFound("Ticket not found.")
    return item


def requester_state(requester_id: str | None) -> TicketRequester:
    """The ticket's requester as the mail rules need them now (their account may be gone)."""
    item = find_item(requester_id) if requester_id else None
    if item is None:
        return TicketRequester(requester_id, None, None)
    return TicketRequester(item.id, item.email, item.status)


def list_for_client(client: ActingClient, *, scope: str, status: str | None, limit: int, start_key: dict | None
                    ) -> tuple[list[TicketModel], dict | None]:
    """One Query: the requester's tickets, or (client admins) the organization's; with a
    status, that owner's status index. Tickets blocked from client view are filtered out
    (read, not returned: DynamoDB pages on until `limit` are visible)."""
    if scope == "organization":
        refusal = visibility.organization_list_refusal(client)
        if refusal:
            raise Forbidden(refusal)
        index, owner = ((TicketModel.by_org_status_client_activity, status_key(client.organization_id, status))
                        if status else (TicketModel.by_organization_client_activity, client.organization_id))
    else:
        index, owner = ((TicketModel.by_requester_status_client_activity, status_key(client.id, status))
                        if status else (TicketModel.by_requester_client_activity, client.id))
    # visibility.ticket_visible's block rule, as a DynamoDB condition (the index chose the owner).
    visible = TicketModel.block_client_view == False  # noqa: E712  (a DynamoDB condition, not a bool test)
    result = index.query(owner, scan_index_forward=False, filter_condition=visible, limit=limit,
                         last_evaluated_key=start_key)
    listed = list(result)
    last_key = key_after_returned(result, listed)  # never the key of a blocked ticket
    loaded = _batch_tickets(listed)
    found = []
    for entry in listed:
        ticket = loaded.get(_ticket_id(entry))
        if ticket is None:
            continue
        # A CC link's ticket: as the client may see it now. Their own: blocked since the index
        # entry was written is still left out.
        shown = visibility.ticket_visible(client, ticket) if entry.kind == CC_KIND else not ticket.block_client_view
        if shown:
            found.append(ticket)
    return found, last_key


def _ticket_id(entry: Any) -> str:
    """The ticket an index entry stands for: its own id, or a CC link item's ticket (the
    requester indexes also hold CC links, models/tickets.py)."""
    return str(int(entry.ticket_number)) if entry.kind == CC_KIND else entry.id


def _batch_tickets(listed: list[Any]) -> dict[str, TicketModel]:
    ids = list(dict.fromkeys(_ticket_id(entry) for entry in listed))
    return {item.id: item for item in TicketModel.batch_get(ids)} if ids else {}


def _tickets_of(listed: list[Any]) -> list[TicketModel]:
    """The tickets of index entries (which carry keys and what the Query filters on), in the
    entries' order: one BatchGet. A ticket deleted meanwhile is left out."""
    loaded = _batch_tickets(listed)
    return [loaded[_ticket_id(entry)] for entry in listed if _ticket_id(entry) in loaded]


def list_for_agent(*, status: str | None, assignee: str | None, organization_id: str | None,
                   requester_id: str | None, limit: int, start_key: dict | None
                   ) -> tuple[list[TicketModel], dict | None]:
    """The most selective index for the filters: a status is part of the requester's or the
    organization's index key, so the closed history is never paged through. The only filter
    conditions left are on a requester's index: an organization (a requester has one) and
    tickets only (not the CC link items that index also holds).
    Filtered by requester or organization, the order is the one that client sees (the last
    change a client can see: those indexes are the clients'); unfiltered or by status, the
    last change of any kind."""
    if assignee:
        return _queue_of(assignee, status=status, organization_id=organization_id, requester_id=requester_id,
                         limit=limit, start_key=start_key)
    condition = None
    if requester_id:
        index, hash_key = ((TicketModel.by_requester_status_client_activity, status_key(requester_id, status))
                           if status else (TicketModel.by_requester_client_activity, requester_id))
        # The requester indexes also hold CC link items (models/tickets.py): a requester's own only.
        condition = TicketModel.kind == TICKET_KIND
        if organization_id:
            condition &= TicketModel.organization_id == organization_id
    elif organization_id:
        index, hash_key = ((TicketModel.by_org_status_client_activity, status_key(organization_id, status))
                           if status else (TicketModel.by_organization_client_activity, organization_id))
    else:
        # Everyone's tickets: the sharded agents' indexes, every shard read in parallel.
        index, value = (TicketModel.by_status_activity, status) if status else (TicketModel.by_kind_activity,
                                                                                  TICKET_KIND)
        listed, following = query_shards(index, value, sort_key="activity_at", newest_first=True, limit=limit,
                                         start=start_key)
        # The index lags a status change by a moment: a ticket that left the status is not shown in it.
        return [item for item in _tickets_of(listed) if not status or item.status == status], following
    result = index.query(hash_key, scan_index_forward=False, filter_condition=condition, limit=limit,
                         last_evaluated_key=start_key)
    return _tickets_of(list(result)), result.last_evaluated_key


# An agent's queue filtered by organization or requester (which assignment items do not
# carry) reads index pages until the page is full or the queue ends, at most this many per
# request; past that it answers the tickets found so far (maybe none) with a cursor.
QUEUE_INDEX_PAGES = 5


def _queue_of(assignee: str, *, status: str | None, organization_id: str | None, requester_id: str | None,
              limit: int, start_key: dict | None) -> tuple[list[TicketModel], dict | None]:
    """The agent's assignment items, newest ticket first, then their tickets in one BatchGet
    per index page. Unfiltered, or when the first page fills: one Query and one BatchGet."""
    # With a status, the agent's queue in that status: never their closed history.
    index, hash_key = ((AssignmentModel.by_assignee_status_number, status_key(assignee, status)) if status
                       else (AssignmentModel.by_assignee_number, assignee))

    def wanted(ticket: TicketModel) -> bool:
        # The status check drops an assignment item the index has not caught up with yet.
        return ((not status or ticket.status == status)
                and (not organization_id or ticket.organization_id == organization_id)
                and (not requester_id or ticket.requester_id == requester_id))

    found: list[TicketModel] = []
    key = start_key
    for _ in range(QUEUE_INDEX_PAGES):
        result = index.query(hash_key, scan_index_forward=False, limit=limit, last_evaluated_key=key)
        assignments = list(result)
        key = result.last_evaluated_key
        numbers = [str(int(item.ticket_number)) for item in assignments]
        loaded = {item.id: item for item in TicketModel.batch_get(numbers)} if numbers else {}
        for position, assignment in enumerate(assignments):
            ticket = loaded.get(str(int(assignment.ticket_number)))
            if ticket is None or not wanted(ticket):
                continue
            found.append(ticket)
            if len(found) == limit:
                # Full: the next page starts after this item (DynamoDB's own key if it is the last read).
                return found, key if position == len(assignments) - 1 else _index_key(index, assignment)
        if key is None:
            break
    return found, key


def _index_key(index: Any, item: AssignmentModel) -> dict[str, Any]:
    """The LastEvaluatedKey DynamoDB would give after `item` in `index`: table and index keys."""
    names = {"id", index._hash_key_attribute().attr_name, index._range_key_attribute().attr_name}
    return {attribute.attr_name: {attribute.attr_type: attribute.serialize(getattr(item, python_name))}
            for python_name, attribute in AssignmentModel.get_attributes().items() if attribute.attr_name in names}
