"""Client accounts as agents manage them: create, list, read, edit, disable, remove
(product.md §1-2). Client items are read and built in client_store.py; invitations live in
invitations.py, sessions in sessions.py."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import InvalidInput, NotFound
from chalicelib.ids import utcnow
from chalicelib.models.base import key_after_returned
from chalicelib.models.shards import query_shards
from chalicelib.models.users import (
    ACTIVE,
    CLIENT_KIND,
    CLIENT_USER,
    DISABLED,
    INACTIVE,
    UserModel,
    email_guard_id,
    status_actions,
)
from chalicelib.services import client_directory, mail_feedback
from chalicelib.services.assets import unassign_client
from chalicelib.services.client_store import (
    Client,
    connection,
    email_taken,
    find_by_email,
    guard_item,
    items_of,
    load_item,
    new_client_item,
    portal_switch_action,
    to_client,
)
from chalicelib.services.invitations import prepare_invitation
from chalicelib.services.organizations import portal_off


def check_organization(organization_id: str | None) -> bool:
    """400 unless the organization exists; whether its portal access is switched off (which a
    client joining it copies onto their item: sessions.authenticate reads it there)."""
    if organization_id is None:
        return False
    off = portal_off(organization_id)
    if off is None:
        raise InvalidInput("This organization does not exist.", fields={"organization_id": "unknown organization"})
    return off


def create_client(email: str, *, name: str | None = None, phone: str | None = None,
                  organization_id: str | None = None, role: str = CLIENT_USER, send_invitation: bool = False,
                  invited_by: str | None = None) -> Client:
    """A new client, `inactive` unless invited at once (then `invited`, with the welcome
    email queued in the same transaction). The email guard makes a concurrent create
    with the same address fail with 409."""
    organization_off = check_organization(organization_id)
    now = utcnow()
    item = new_client_item(email, name=name, phone=phone, organization_id=organization_id, role=role, now=now,
                           portal_off=organization_off)
    terms = client_directory.index_new(item)
    invitation_items: list[Any] = []
    if send_invitation:
        invitation_items = prepare_invitation(item, now, invited_by=invited_by)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(guard_item(item), condition=UserModel.id.does_not_exist())
            tx.save(item, condition=UserModel.id.does_not_exist())
            for other in [*invitation_items, *terms]:
                tx.save(other, condition=other.__class__.id.does_not_exist())
    except TransactWriteError:
        raise email_taken() from None
    return to_client(item)


def get_client(client_id: str) -> Client:
    return to_client(load_item(client_id))


def list_clients(*, limit: int, start_key: dict | None, organization_id: str | None = None,
                 status: str | None = None, email: str | None = None, email_prefix: str | None = None,
                 ) -> tuple[list[Client], dict | None]:
    """One Query on the index that matches the filters (never a Scan); on a sharded index, one
    per shard (models/shards.py), then the page's clients in one BatchGet. `email_prefix` (`q`)
    of two letters or more is the directory search by name words or email (client_directory)."""
    if email_prefix and not email and client_directory.searchable(email_prefix):
        found, last_key = client_directory.search(email_prefix, organization_id=organization_id, status=status,
                                                  limit=limit, start_key=start_key)
        return [to_client(item) for item in found], last_key
    if email:
        found = find_by_email(email)
        matches = found is not None and (organization_id in (None, found.organization_id)) and (
            status in (None, found.status))
        return ([to_client(found)] if matches and found else []), None
    condition = UserModel.email_lower.startswith(email_prefix.lower()) if email_prefix else None
    if organization_id:
        # The organization's index also holds its colleague invitations (services/colleagues.py).
        filters = UserModel.kind == CLIENT_KIND
        if status:
            filters = filters & (UserModel.status == status)
        result = UserModel.by_organization.query(organization_id, condition, filter_condition=filters, limit=limit,
                                                 last_evaluated_key=start_key)
        found = list(result)
        return [to_client(item) for item in items_of(found)], key_after_returned(result, found)
    # Everyone, or everyone in a status: the sharded indexes, every shard read in parallel.
    index, value = (UserModel.by_status, status) if status else (UserModel.by_kind_email, CLIENT_KIND)
    listed, following = query_shards(index, value, condition, sort_key="email_lower", newest_first=False,
                                     limit=limit, start=start_key)
    # The index lags a status change by a moment: a client who left the status is not shown in it.
    return [to_client(item) for item in items_of(listed) if not status or item.status == status], following


def _status_when_enabled(item: UserModel) -> str:
    if item.activated_at is not None:
        return ACTIVE
    return INACTIVE  # its invitation links died with the disabling: an agent invites again


def update_client(client_id: str, changes: dict[str, Any], *, changed_by: str = "agent") -> Client:
    """Edit contact details, organization and role, or disable / re-enable. Disabling
    ends every session at once and stops reminders and pending links. `email_status: ok`
    clears a bounce or complaint stop on the client's address (services/mail_feedback.py)."""
    item = load_item(client_id)
    if changes.get("email_status") == "ok" and item.email_status not in (None, "ok"):
        mail_feedback.clear(item.email or "", cleared_by=changed_by)
        item = load_item(client_id)
    actions: list[Any] = []
    now = utcnow()
    for field in ("name", "phone", "role"):
        if field in changes:
            value = changes[field] or None
            if field == "role" and value is None:
                continue
            actions.append(getattr(UserModel, field).set(value) if value else getattr(UserModel, field).remove())
    if "organization_id" in changes:
        organization_off = check_organization(changes["organization_id"])
        actions.append(UserModel.organization_id.set(changes["organization_id"]) if changes["organization_id"]
                       else UserModel.organization_id.remove())
        actions.append(portal_switch_action(organization_off))
    disabled = changes.get("disabled")
    if disabled is True and item.status != DISABLED:
        actions += disable_actions(client_id)
    elif disabled is False and item.status == DISABLED:
        actions += status_actions(client_id, _status_when_enabled(item))
    if not actions:
        return to_client(item)
    actions.append(UserModel.updated_at.set(now))
    terms = None
    if "name" in changes:
        terms = client_directory.term_change(item, name=changes["name"] or None, email=item.email)
        actions.append(terms.action)
    try:
        item.update(actions=actions, condition=UserModel.kind == CLIENT_KIND)
    except UpdateError:
        raise NotFound("Client not found.") from None
    if terms is not None:
        terms.write()
    return to_client(load_item(client_id))


def disable_actions(client_id: str) -> list[Any]:
    # device_epoch: a disabled client's remembered devices are forgotten (services/devices.py).
    return [*status_actions(client_id, DISABLED), UserModel.sessions.set({}), UserModel.reminder_queue.remove(),
            UserModel.invite_token_hash.remove(), UserModel.reset_token_hash.remove(),
            UserModel.device_epoch.add(1)]


def delete_client(client_id: str) -> None:
    """Remove the portal account and its email guard. Tickets keep the requester's name
    and email (they are copied onto the ticket); the client's assets stay with the
    organization, unassigned."""
    item = load_item(client_id)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.delete(item, condition=UserModel.kind == CLIENT_KIND)
            tx.delete(UserModel(email_guard_id(item.email or "")), condition=UserModel.owner_id == item.id)
            for term in client_directory.removal_items(item):
                tx.delete(term)
    except TransactWriteError:
        raise NotFound("Client not found.") from None
    unassign_client(item.id)

