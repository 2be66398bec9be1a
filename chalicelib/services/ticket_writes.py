"""Changing tickets (product.md §3): open one, edit it as its requester, change it as an agent.

Each change fills a TransactionPlan and writes it in one transaction. The rules it applies
each have one owner: which agent may change what (AGENT_CHANGE_PERMISSIONS, below), what a
status allows and what entering it does (ticket_status), what a client sees
(visibility), who is mailed (notifications).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model

from chalicelib.errors import Conflict, Forbidden, InvalidInput
from chalicelib.identity import ActingAgent, ActingClient, TicketRequester
from chalicelib.ids import utcnow
from chalicelib.models.tickets import (
    ASSIGNMENT_KIND,
    COUNTER_ID,
    DEFAULT_PRIORITY,
    FIRST_NUMBER,
    TICKET_KIND,
    AssignmentModel,
    TicketModel,
    TicketStatus,
    assignment_id,
    status_key,
    ticket_shard_keys,
)
from chalicelib.models.users import ACTIVE
from chalicelib.services import assets, attachments, notifications, ticket_status, watching
from chalicelib.services.agent_auth import require_permission
from chalicelib.services.agent_directory import agent_emails
from chalicelib.services.client_store import find_item, find_item_beside
from chalicelib.services.settings import get_settings
from chalicelib.services.ticket_reads import load, load_visible, requester_state
from chalicelib.services.transaction_plan import TransactionPlan

if TYPE_CHECKING:
    from chalicelib.services.idempotency import WriteOnce

# Every agent changes status, priority and category and writes notes; these changes need a
# permission besides (checked before the ticket is read). CC is with blocking client view: both
# decide which clients see the ticket and get its mail, beyond the requester.
AGENT_CHANGE_PERMISSIONS = {"block_client_view": "manage-tickets", "assignees": "manage-tickets",
                            "cc": "manage-tickets"}

# What a client sees change on a ticket: a change to any of these moves it in the client's lists.
CLIENT_VISIBLE = ("subject", "description", "status", "priority", "category")


def connection() -> Any:
    """The connection the tickets' transactions are written on (notes and mail included)."""
    return TicketModel._get_connection().connection


def prepare_files(owner: str, upload_ids: list[str] | None, once: WriteOnce | None) -> attachments.Binding:
    """attachments.prepare_binding for a new ticket or note. Refused because a file is bound
    already, a retry racing the first request is answered from the key's record instead
    (idempotency.Replay)."""
    try:
        return attachments.prepare_binding(owner, upload_ids)
    except Conflict:
        if once is not None:
            once.replay_if_recorded()
        raise


def write_plan(plan: TransactionPlan, refusal: str, *, once: WriteOnce | None = None, answer: Any = None) -> None:
    """Write `plan` in one transaction, claiming `once` (the request's Idempotency-Key) with
    `answer` as what it made. A failed write is a retry's replay when the key was claimed
    meanwhile (idempotency.Replay), else 409 `refusal`: nothing was written."""
    if once is not None:
        plan.idempotency = once.record(answer)
    try:
        plan.write(connection())
    except TransactWriteError as error:
        if once is not None:
            once.raise_if_claimed(error)
        raise Conflict(refusal) from None


def activity_key(when: datetime, number: int) -> str:
    """Sorts by time, then number: ties never reorder between pages."""
    return f"{when.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{number:010d}"


# --- who may change what ----------------------------------------------------------------

def authorize_agent_changes(agent: ActingAgent, changes: dict[str, Any]) -> None:
    """403 unless `agent` has the permission every requested change needs, and 400 for a
    status agents may not set (ticket_status)."""
    for field, permission in AGENT_CHANGE_PERMISSIONS.items():
        if changes.get(field) is not None:
            require_permission(agent, permission)
    status = changes.get("status")
    if status is not None and not ticket_status.agent_may_set(status):
        raise InvalidInput("Agents cannot set this status.", fields={"status": "not allowed"})


def assignees_for(agent: ActingAgent, usernames: list[str] | None) -> dict[str, str] | None:
    """{username: email} of the agents `agent` assigns (None: no change). Checked before
    anything is read or written: a refusal claims no Idempotency-Key."""
    authorize_agent_changes(agent, {"assignees": usernames})
    return _agent_emails(usernames)


def _agent_emails(usernames: list[str] | None) -> dict[str, str] | None:
    return None if usernames is None else agent_emails(usernames)


# --- creating ---------------------------------------------------------------------------

def allocate_number() -> int:
    """The next ticket number, atomically (UpdateItem ADD): concurrent creates never share one."""
    # The table connection, not Model.update: the model's version condition is for tickets.
    answer = TicketModel._get_connection().update_item(
        COUNTER_ID, actions=[TicketModel.next_number.add(1)], return_values="UPDATED_NEW")
    return FIRST_NUMBER - 1 + int(answer["Attributes"]["next_number"]["N"])


def allowed_category(category: str | None) -> str | None:
    """When the settings list ticket categories, a category must be one of them (matched without
    regard to case, stored as listed); with no list, any category goes."""
    listed = get_settings().ticket_categories
    if category is None or not listed:
        return category
    for name in listed:
        if name.casefold() == category.casefold():
            return name
    raise InvalidInput("Choose one of the ticket categories.",
                       fields={"category": "must be one of: " + ", ".join(listed)})


def _requester(requester_id: str, opened_by: ActingClient | None, once: WriteOnce | None) -> TicketRequester:
    """The ticket's requester. A client opening their own ticket was read with their session;
    anyone else's account is read here, with the Idempotency-Key's record in the same call when
    there is a key, so that a retry is answered (idempotency.Replay) before a number is taken."""
    if opened_by is not None and opened_by.id == requester_id:
        return TicketRequester(opened_by.id, opened_by.email, ACTIVE, opened_by.name, opened_by.organization_id)
    if once is None:
        stored = find_item(requester_id)
    else:
        from chalicelib.models.idempotency import IdempotencyRecord

        stored, record = find_item_beside(requester_id, IdempotencyRecord, once.record_id)
        once.replay_if_stored(record)
    if stored is None:
        raise InvalidInput("This client does not exist.", fields={"requester_id": "unknown client"})
    return TicketRequester(stored.id, stored.email, stored.status, stored.name, stored.organization_id)


def create(*, subject: str, description: str, priority: str | None, category: str | None, requester_id: str,
           created_by: str, assignees: dict[str, str] | None = None, status: str = TicketStatus.NEW,
           opened_by: ActingClient | None = None, upload_ids: list[str] | None = None,
           asset_id: str | None = None, once: WriteOnce | None = None, files: attachments.Binding | None = None,
           claims: list[Model] | None = None, requester: TicketRequester | None = None) -> TicketModel:
    """A new ticket for `requester_id` (a client), with ticket-created mail queued in the
    same transaction. The requester's name and email are copied onto the ticket, so they
    stay even if the client is removed. `opened_by`: the client opening their own ticket,
    whose session was read in this request (so active and current): no second read.
    `assignees` come from `assignees_for` (checked). `upload_ids`: the creator's uploads to
    attach (services/attachments.py), checked before a ticket number is taken; or `files`,
    already prepared (a mail's). `asset_id`: an asset of the requester's organization that the
    client opening it may see (assets.asset_for_ticket), else 400. `claims`: items created with
    the ticket, refused when one exists (mail in: the message's id). `once`: the request's
    Idempotency-Key, claimed in the ticket's transaction; a retry is answered by
    idempotency.Replay before a number is taken (the key's record is read with the session or
    the requester), except one racing the first, whose number stays unused."""
    category = allowed_category(category)
    # `requester`: the account as the caller already read it (mail in), not read again.
    requester = requester or _requester(requester_id, opened_by, once)
    asset = assets.asset_for_ticket(asset_id, opened_by, requester.organization_id)
    if files is None:
        files = prepare_files(created_by, upload_ids, once)
    now = utcnow()
    number = allocate_number()
    # Created resolved: resolved_at only (no "resolved" mail, no rating assignees).
    resolved = ticket_status.on_enter(status) == ticket_status.RESOLVES
    item = TicketModel(
        str(number), kind=TICKET_KIND, number=number, subject=subject, description=description, status=status,
        priority=priority or DEFAULT_PRIORITY, category=category, requester_id=requester.id,
        requester_name=requester.name or requester.email, requester_email=requester.email,
        organization_id=requester.organization_id, assignees=sorted(assignees or {}),
        asset_id=asset.id if asset else None, asset_name=asset.name if asset else None,
        assignee_emails=dict(assignees or {}), block_client_view=False, created_by=created_by, public_notes=0,
        created_at=now, updated_at=now, activity_at=activity_key(now, number),
        client_updated_at=now, client_activity_at=activity_key(now, number),
        resolved_at=now if resolved else None, attachments=files.refs(),
    )
    _index_status(item)
    plan = TransactionPlan(
        saves=[item, *assignments_with_status(item, status)], creates=list(claims or []),
        messages=notifications.ticket_created_messages(item, requester, get_settings().effective_agents_email))
    files.bind(plan, ticket_number=number)
    # The ticket's number is new and its mail ids are its own: only a binding (or a claim) can fail.
    write_plan(plan, "An attachment was attached elsewhere meanwhile; upload it again.", once=once, answer=item)
    return item


# --- assignment items and status index keys ---------------------------------------------

def _assignment(number: int, username: str, status: str | None = None) -> AssignmentModel:
    return AssignmentModel(assignment_id(number, username), kind=ASSIGNMENT_KIND, assignee=username,
                           ticket_number=number, assignee_status=status_key(username, status))


def assignments_with_status(item: TicketModel, status: str) -> list[AssignmentModel]:
    """The ticket's assignment items as they must be once its status is `status`."""
    return [_assignment(int(item.number), username, status) for username in item.assignees or []]


def _index_status(item: TicketModel) -> None:
    """Keep the status index keys (the organization's, the requester's, the agents' sharded
    one) in step with `status`."""
    item.org_status = status_key(item.organization_id, item.status)
    item.requester_status = status_key(item.requester_id, item.status)
    item.kind_shard, item.status_shard = ticket_shard_keys(item.id, item.status)


def status_actions(item: TicketModel, status: str) -> list[Any]:
    """Update actions that set a ticket's status (for writers that update rather than save)."""
    actions = [TicketModel.status.set(status),
               TicketModel.requester_status.set(status_key(item.requester_id, status)),
               TicketModel.status_shard.set(ticket_shard_keys(item.id, status)[1])]
    if item.organization_id:
        actions.append(TicketModel.org_status.set(status_key(item.organization_id, status)))
    return actions


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


# --- changing ---------------------------------------------------------------------------

def update_by_client(number: int | str, client: ActingClient, changes: dict[str, Any]) -> TicketModel:
    """Subject, description, priority: by the requester, while the status allows it."""
    item = load_visible(number, client)
    if item.requester_id != client.id:
        raise Forbidden("Only the requester edits a ticket.")
    if not ticket_status.client_may_edit(item.status):
        raise Conflict("A resolved or closed ticket cannot be edited.")
    before = _client_visible(item)
    for field in ("subject", "description", "priority"):
        if changes.get(field) is not None:
            setattr(item, field, changes[field])
    return _save(item, utcnow(), TransactionPlan(), seen_by_client=_client_visible(item) != before)


def update_by_agent(number: int | str, agent: ActingAgent, changes: dict[str, Any]) -> TicketModel:
    """Status, priority, category, assignees (usernames), block_client_view, cc (client ids), as
    far as `agent` may (AGENT_CHANGE_PERMISSIONS). `version`, when given, must be the ticket's current
    version (optimistic locking): a stale one is 409."""
    changes = dict(changes)
    authorize_agent_changes(agent, changes)
    if changes.get("category") is not None:
        changes["category"] = allowed_category(changes["category"])
    assignee_emails = _agent_emails(changes.pop("assignees", None))
    version = changes.pop("version", None)
    cc = changes.pop("cc", None)
    item = load(number)
    if version is not None and int(item.version or 0) != version:
        raise Conflict("The ticket changed since you read it; reload and try again.",
                       fields={"version": f"current version is {int(item.version or 0)}"})
    now = utcnow()
    previous_status = item.status
    before = _client_visible(item)
    plan = TransactionPlan()
    for field in ("status", "priority", "category", "block_client_view"):
        # A category may be cleared (null); the others only change.
        if field in changes and (changes[field] is not None or field == "category"):
            setattr(item, field, changes[field])
    if assignee_emails is not None:
        _reassign(item, assignee_emails, plan)
    if cc is not None:
        stored = watching.check_cc(item, cc)
        plan.deletes += watching.removed_links(int(item.number), list(item.cc or []), stored)
        item.cc = stored or None
    if item.status != previous_status:
        _enter_status(item, now, plan)
        if ticket_status.on_enter(item.status) != ticket_status.RESOLVES:
            plan.messages += notifications.status_messages(item, previous_status, watching.watchers_of(item),
                                                           author_id=agent.username)
    # Assignees and block_client_view are agents' business: they move the agents' lists only.
    return _save(item, now, plan, seen_by_client=_client_visible(item) != before)


def _reassign(item: TicketModel, assignee_emails: dict[str, str], plan: TransactionPlan) -> None:
    """New assignees replace the old: assignment items deleted and written accordingly."""
    number = int(item.number)
    old, new = set(item.assignees or []), set(assignee_emails)
    plan.deletes += [_assignment(number, username) for username in sorted(old - new)]
    plan.saves += [_assignment(number, username, item.status) for username in sorted(new - old)]
    item.assignees = sorted(new)
    item.assignee_emails = dict(assignee_emails)


def _enter_status(item: TicketModel, now: datetime, plan: TransactionPlan) -> None:
    """The ticket has just been given its status: its assignment items follow, and what
    entering that status does (ticket_status.on_enter) is done."""
    planned = {other.id for other in plan.saves}
    plan.saves += [a for a in assignments_with_status(item, item.status) if a.id not in planned]
    effect = ticket_status.on_enter(item.status)
    if effect == ticket_status.RESOLVES:
        item.resolved_at = now
        item.rated_assignees = list(item.assignees or [])
        plan.messages += notifications.resolved_messages(
            item, requester_state(item.requester_id), get_settings().allow_client_rating,
            watching.watchers_of(item))
    elif effect == ticket_status.CLEARS_RESOLUTION:
        item.resolved_at = None


def _client_visible(item: TicketModel) -> tuple[Any, ...]:
    return tuple(getattr(item, field) for field in CLIENT_VISIBLE)


def _save(item: TicketModel, now: datetime, plan: TransactionPlan, *, seen_by_client: bool) -> TicketModel:
    """Write the changed ticket with the rest of `plan`. The ticket is versioned: a
    concurrent change makes the whole write fail (409)."""
    item.updated_at = now
    _index_status(item)
    item.activity_at = activity_key(now, int(item.number))
    if seen_by_client:
        item.client_updated_at = now
        item.client_activity_at = activity_key(now, int(item.number))
    # The CC'd clients' list entries follow the ticket (status, activity, block flag).
    plan.saves += watching.cc_links(item)
    plan.saves.insert(0, item)
    write_plan(plan, "The ticket changed meanwhile; reload and try again.")
    return item
