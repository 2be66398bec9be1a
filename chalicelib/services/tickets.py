"""Tickets (product.md §3): create, read, list and change them, for clients and agents.

Visibility for clients, in one place (`_visible_to_client`): the requester sees their
own tickets, a client admin also their organization's; a ticket blocked from client view
is invisible. Invisible is 404, never 403, in lists too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.identity import ActingClient, TicketRequester
from chalicelib.ids import iso, utcnow
from chalicelib.models.base import get_of_kind
from chalicelib.models.outbox import OutboxModel
from chalicelib.models.tickets import (
    ASSIGNMENT_KIND,
    COUNTER_ID,
    FIRST_NUMBER,
    TICKET_KIND,
    AssignmentModel,
    TicketModel,
    assignment_id,
    status_key,
)
from chalicelib.services import attachments, notifications
from chalicelib.services.settings import get_settings

STATUSES = ("new", "open", "pending", "resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
FINISHED = ("resolved", "closed")


def _connection() -> Any:
    return TicketModel._get_connection().connection


def activity_key(when: datetime, number: int) -> str:
    """Sorts by time, then number: ties never reorder between pages."""
    return f"{when.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{number:010d}"


def allocate_number() -> int:
    """The next ticket number, atomically (UpdateItem ADD): concurrent creates never share one."""
    # The table connection, not Model.update: the model's version condition is for tickets.
    answer = TicketModel._get_connection().update_item(
        COUNTER_ID, actions=[TicketModel.next_number.add(1)], return_values="UPDATED_NEW")
    return FIRST_NUMBER - 1 + int(answer["Attributes"]["next_number"]["N"])


def requester_state(requester_id: str | None) -> TicketRequester:
    from chalicelib.services.clients import find_item

    item = find_item(requester_id) if requester_id else None
    if item is None:
        return TicketRequester(requester_id, None, None)
    return TicketRequester(item.id, item.email, item.status)


def _index_status(item: TicketModel) -> None:
    """Keep the organization's and requester's status index keys in step with `status`."""
    item.org_status = status_key(item.organization_id, item.status)
    item.requester_status = status_key(item.requester_id, item.status)


def status_actions(item: TicketModel, status: str) -> list[Any]:
    """Update actions that set a ticket's status (for writers that update rather than save)."""
    actions = [TicketModel.status.set(status),
               TicketModel.requester_status.set(status_key(item.requester_id, status))]
    if item.organization_id:
        actions.append(TicketModel.org_status.set(status_key(item.organization_id, status)))
    return actions


# --- reading ----------------------------------------------------------------------------

def load(number: int | str) -> TicketModel:
    key = str(number)
    if not key.isdigit() or len(key) > 12:
        raise NotFound("Ticket not found.")
    item = get_of_kind(TicketModel, key, TICKET_KIND)
    if item is None:
        raise NotFound("Ticket not found.")
    return item


def _visible_to_client(item: TicketModel, client: ActingClient) -> bool:
    if item.block_client_view:
        return False
    if item.requester_id == client.id:
        return True
    return client.is_client_admin and bool(client.organization_id) and item.organization_id == client.organization_id


def load_for_client(number: int | str, client: ActingClient) -> TicketModel:
    item = load(number)
    if not _visible_to_client(item, client):
        raise NotFound("Ticket not found.")
    return item


def _rating(item: TicketModel) -> dict[str, Any] | None:
    if item.rating_score is None:
        return None
    return {"score": int(item.rating_score), "comment": item.rating_comment, "rated_at": iso(item.rated_at)}


def client_view(item: TicketModel) -> dict[str, Any]:
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
        "rating": _rating(item), "editable": item.status not in FINISHED,
        "attachments": attachments.listed(item.attachments),
    }


def agent_view(item: TicketModel) -> dict[str, Any]:
    """Agents see real activity: `updated_at` is the last change of any kind."""
    return {
        **client_view(item), "updated_at": iso(item.updated_at), "assignees": list(item.assignees or []),
        "block_client_view": bool(item.block_client_view),
        "created_by": item.created_by, "version": int(item.version or 0),
    }


# --- creating ---------------------------------------------------------------------------

def create(*, subject: str, description: str, priority: str | None, category: str | None, requester_id: str,
           created_by: str, assignees: dict[str, str] | None = None, status: str = "new",
           opened_by: ActingClient | None = None, upload_ids: list[str] | None = None) -> TicketModel:
    """A new ticket for `requester_id` (a client), with ticket-created mail queued in the
    same transaction. The requester's name and email are copied onto the ticket, so they
    stay even if the client is removed. `opened_by`: the client opening their own ticket,
    whose session was read in this request (so active and current): no second read.
    `upload_ids`: the creator's uploads to attach (services/attachments.py)."""
    from chalicelib.models.users import ACTIVE
    from chalicelib.services.clients import find_item

    if opened_by is not None and opened_by.id == requester_id:
        requester = TicketRequester(opened_by.id, opened_by.email, ACTIVE, opened_by.name, opened_by.organization_id)
    else:
        stored = find_item(requester_id)
        if stored is None:
            raise InvalidInput("This client does not exist.", fields={"requester_id": "unknown client"})
        requester = TicketRequester(stored.id, stored.email, stored.status, stored.name, stored.organization_id)
    files = attachments.prepare_binding(created_by, upload_ids)
    now = utcnow()
    number = allocate_number()
    item = TicketModel(
        str(number), kind=TICKET_KIND, number=number, subject=subject, description=description, status=status,
        priority=priority or "normal", category=category, requester_id=requester.id,
        requester_name=requester.name or requester.email, requester_email=requester.email,
        organization_id=requester.organization_id, assignees=sorted(assignees or {}),
        assignee_emails=dict(assignees or {}), block_client_view=False, created_by=created_by, public_notes=0,
        created_at=now, updated_at=now, activity_at=activity_key(now, number),
        client_updated_at=now, client_activity_at=activity_key(now, number),
        resolved_at=now if status == "resolved" else None, attachments=files.refs(),
    )
    _index_status(item)
    messages = notifications.ticket_created_messages(
        item, requester, get_settings().effective_agents_email)
    try:
        with TransactWrite(connection=_connection()) as tx:
            tx.save(item)
            for username in item.assignees or []:
                tx.save(_assignment(number, username, status))
            for message in messages:
                tx.save(message, condition=OutboxModel.id.does_not_exist())
            files.add_to(tx, ticket_number=number)
    except TransactWriteError:
        raise Conflict("An attachment was attached elsewhere meanwhile; upload it again.") from None
    return item


def _assignment(number: int, username: str, status: str | None = None) -> AssignmentModel:
    return AssignmentModel(assignment_id(number, username), kind=ASSIGNMENT_KIND, assignee=username,
                           ticket_number=number, assignee_status=status_key(username, status))


def assignments_with_status(item: TicketModel, status: str) -> list[AssignmentModel]:
    """The ticket's assignment items as they must be once its status is `status`."""
    return [_assignment(int(item.number), username, status) for username in item.assignees or []]


# --- listing ----------------------------------------------------------------------------

def list_for_client(client: ActingClient, *, scope: str, status: str | None, limit: int, start_key: dict | None
                    ) -> tuple[list[TicketModel], dict | None]:
    """One Query: the requester's tickets, or (client admins) the organization's; with a
    status, that owner's status index. Tickets blocked from client view are filtered out
    (read, not returned: DynamoDB pages on until `limit` are visible)."""
    if scope == "organization":
        if not client.is_client_admin:
            raise Forbidden("Only client admins see their organization's tickets.")
        if not client.organization_id:
            raise Forbidden("Your account does not belong to an organization.")
        index, owner = ((TicketModel.by_org_status_client_activity, status_key(client.organization_id, status))
                        if status else (TicketModel.by_organization_client_activity, client.organization_id))
    else:
        index, owner = ((TicketModel.by_requester_status_client_activity, status_key(client.id, status))
                        if status else (TicketModel.by_requester_client_activity, client.id))
    visible = TicketModel.block_client_view == False  # noqa: E712  (a DynamoDB condition, not a bool test)
    result = index.query(owner, scan_index_forward=False, filter_condition=visible, limit=limit,
                         last_evaluated_key=start_key)
    return list(result), result.last_evaluated_key


def list_for_agent(*, status: str | None, assignee: str | None, organization_id: str | None,
                   requester_id: str | None, limit: int, start_key: dict | None
                   ) -> tuple[list[TicketModel], dict | None]:
    """The most selective index for the filters: a status is part of the requester's or the
    organization's index key, so the closed history is never paged through. The only filter
    condition left is an organization on a requester's tickets (a requester has one).
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
        if organization_id:
            condition = TicketModel.organization_id == organization_id
    elif organization_id:
        index, hash_key = ((TicketModel.by_org_status_client_activity, status_key(organization_id, status))
                           if status else (TicketModel.by_organization_client_activity, organization_id))
    elif status:
        index, hash_key = TicketModel.by_status_activity, status
    else:
        index, hash_key = TicketModel.by_kind_activity, TICKET_KIND
    result = index.query(hash_key, scan_index_forward=False, filter_condition=condition, limit=limit,
                         last_evaluated_key=start_key)
    return list(result), result.last_evaluated_key


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


# --- changing ---------------------------------------------------------------------------

def update_by_client(number: int | str, client: ActingClient, changes: dict[str, Any]) -> TicketModel:
    item = load_for_client(number, client)
    if item.requester_id != client.id:
        raise Forbidden("Only the requester edits a ticket.")
    if item.status in FINISHED:
        raise Conflict("A resolved or closed ticket cannot be edited.")
    before = _client_visible(item)
    for field in ("subject", "description", "priority"):
        if changes.get(field) is not None:
            setattr(item, field, changes[field])
    return _save(item, utcnow(), [], seen_by_client=_client_visible(item) != before)


def update_by_agent(number: int | str, changes: dict[str, Any], *, version: int | None,
                    assignee_emails: dict[str, str] | None) -> TicketModel:
    """Status, priority, category, assignees, block_client_view. `version`, when given,
    must be the ticket's current version (optimistic locking): a stale one is 409."""
    item = load(number)
    if version is not None and int(item.version or 0) != version:
        raise Conflict("The ticket changed since you read it; reload and try again.",
                       fields={"version": f"current version is {int(item.version or 0)}"})
    now = utcnow()
    previous_status = item.status
    before = _client_visible(item)
    extra: list[Any] = []
    for field in ("status", "priority", "category", "block_client_view"):
        if field in changes and changes[field] is not None:
            setattr(item, field, changes[field])
    if "category" in changes and changes["category"] is None:
        item.category = None
    if assignee_emails is not None:
        old = set(item.assignees or [])
        new = set(assignee_emails)
        extra += [("delete", _assignment(int(item.number), u)) for u in sorted(old - new)]
        extra += [("save", _assignment(int(item.number), u, item.status)) for u in sorted(new - old)]
        item.assignees = sorted(new)
        item.assignee_emails = dict(assignee_emails)
    if item.status != previous_status:
        saved = {other.id for action, other in extra if action == "save"}
        extra += [("save", a) for a in assignments_with_status(item, item.status) if a.id not in saved]
        if item.status == "resolved":
            item.resolved_at = now
            item.rated_assignees = list(item.assignees or [])
            extra += [("message", m) for m in notifications.resolved_messages(
                item, requester_state(item.requester_id), get_settings().allow_client_rating)]
        elif item.status not in FINISHED:
            item.resolved_at = None
    # Assignees and block_client_view are agents' business: they move the agents' lists only.
    return _save(item, now, extra, seen_by_client=_client_visible(item) != before)


# What a client sees change on a ticket: a change to any of these moves it in the client's lists.
CLIENT_VISIBLE = ("subject", "description", "status", "priority", "category")


def _client_visible(item: TicketModel) -> tuple[Any, ...]:
    return tuple(getattr(item, field) for field in CLIENT_VISIBLE)


def _save(item: TicketModel, now: datetime, extra: list[tuple[str, Any]], *, seen_by_client: bool) -> TicketModel:
    item.updated_at = now
    _index_status(item)
    item.activity_at = activity_key(now, int(item.number))
    if seen_by_client:
        item.client_updated_at = now
        item.client_activity_at = activity_key(now, int(item.number))
    try:
        with TransactWrite(connection=_connection()) as tx:
            tx.save(item)  # versioned: a concurrent change makes this fail
            for action, other in extra:
                if action == "delete":
                    tx.delete(other)
                elif action == "message":
                    tx.save(other, condition=OutboxModel.id.does_not_exist())
                else:
                    tx.save(other)
    except TransactWriteError:
        raise Conflict("The ticket changed meanwhile; reload and try again.") from None
    return item


def touch_actions(now: datetime, number: int, *, public: bool) -> list[Any]:
    """What a new note changes on its ticket: agents' activity always; what a client sees
    (count, "updated", place in the client's lists) only for a public note."""
    # The ticket's version goes up by itself: PynamoDB adds it to versioned updates.
    key = activity_key(now, number)
    actions = [TicketModel.updated_at.set(now), TicketModel.activity_at.set(key)]
    if public:
        actions += [TicketModel.public_notes.add(1), TicketModel.client_updated_at.set(now),
                    TicketModel.client_activity_at.set(key)]
    return actions


def set_rating(number: int | str, client: ActingClient, score: int, comment: str | None) -> TicketModel:
    """The requester rates a resolved ticket, when rating is on (product.md §4)."""
    if not get_settings().allow_client_rating:
        raise Forbidden("Rating is not enabled on this portal.")  # api.md's plain 403 code
    item = load_for_client(number, client)
    if item.requester_id != client.id:
        raise Forbidden("Only the requester rates a ticket.")
    if item.status not in FINISHED:
        raise Conflict("Only a resolved ticket can be rated.")
    now = utcnow()
    actions = [TicketModel.rating_score.set(score), TicketModel.rated_at.set(now),
               TicketModel.rated.set("rated"), TicketModel.rated_at_key.set(activity_key(now, int(item.number))),
               TicketModel.updated_at.set(now), TicketModel.client_updated_at.set(now)]
    actions.append(TicketModel.rating_comment.set(comment) if comment else TicketModel.rating_comment.remove())
    try:
        # UpdateItem answers with the whole item (ALL_NEW) and PynamoDB loads it into `item`.
        item.update(actions=actions, condition=TicketModel.status.is_in(*FINISHED))
    except UpdateError:
        raise Conflict("The ticket was reopened meanwhile.") from None
    return item
