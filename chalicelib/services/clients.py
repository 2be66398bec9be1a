"""Client accounts as agents manage them: create, list, read, edit, disable, remove
(product.md §1-2). Invitations live in services/invitations.py, sessions in sessions.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.identity import receives_notifications
from chalicelib.ids import iso, new_id, utcnow
from chalicelib.models.base import get_of_kind
from chalicelib.models.users import (
    ACTIVE,
    CLIENT_KIND,
    CLIENT_USER,
    DISABLED,
    INACTIVE,
    INVITED,
    UserModel,
    email_guard_id,
)
from chalicelib.services import mail_feedback


@dataclass(frozen=True)
class Client:
    id: str
    email: str
    name: str | None
    phone: str | None
    organization_id: str | None
    role: str
    status: str
    self_signup: bool
    created_at: str | None
    updated_at: str | None
    invited_at: str | None
    activated_at: str | None
    last_login_at: str | None
    reminders_sent: int
    last_reminder_at: str | None
    next_reminder_at: str | None
    email_status: str = "ok"  # services/mail_feedback.py: ok | bouncing | complained
    email_status_since: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = self.__dict__.copy()
        data["reminders"] = {"sent": data.pop("reminders_sent"), "last_sent_at": data.pop("last_reminder_at"),
                             "next_at": data.pop("next_reminder_at")}
        return data

    def as_portal_dict(self) -> dict[str, Any]:
        """What a client sees of itself or of a colleague."""
        return {key: getattr(self, key) for key in
                ("id", "email", "name", "phone", "organization_id", "role", "status", "created_at",
                 "last_login_at")}

    @property
    def receives_notifications(self) -> bool:
        return receives_notifications(self.status)


def to_client(item: UserModel) -> Client:
    email_status, email_status_since = mail_feedback.client_status(item)
    return Client(
        id=item.id, email=item.email or "", name=item.name, phone=item.phone, organization_id=item.organization_id,
        role=item.role or CLIENT_USER, status=item.status or INACTIVE, self_signup=item.signup == "self",
        created_at=iso(item.created_at), updated_at=iso(item.updated_at), invited_at=iso(item.invited_at),
        activated_at=iso(item.activated_at), last_login_at=iso(item.last_login_at),
        reminders_sent=int(item.reminders_sent or 0), last_reminder_at=iso(item.last_reminder_at),
        next_reminder_at=item.next_reminder_at if item.reminder_queue else None,
        email_status=email_status, email_status_since=iso(email_status_since),
    )


def connection() -> Any:
    return UserModel._get_connection().connection


def email_taken() -> Conflict:
    return Conflict("A client with this email already exists.", fields={"email": "already taken"})


def load_item(client_id: str) -> UserModel:
    """The client item, strongly consistent; 404 for anything that is not a client."""
    if not client_id or "#" in client_id or len(client_id) > 64:
        raise NotFound("Client not found.")
    item = get_of_kind(UserModel, client_id, CLIENT_KIND)
    if item is None:
        raise NotFound("Client not found.")
    return item


def find_item(client_id: str) -> UserModel | None:
    try:
        return load_item(client_id)
    except NotFound:
        return None


def _email_owner_id(email: str) -> str | None:
    """The id its guard item names for this email (any case), or None: one GetItem."""
    if not email.strip() or len(email) > 320:  # no address is longer; keys have a size limit
        return None
    try:
        return UserModel.get(email_guard_id(email), consistent_read=True).owner_id or None
    except DoesNotExist:
        return None


def find_by_email(email: str) -> UserModel | None:
    """The client owning this email (any case), through its guard item."""
    client_id = _email_owner_id(email)
    return find_item(client_id) if client_id else None


def client_id_by_email(email: str) -> str | None:
    """The id of the client owning this email, without reading the client: for the portal
    log on refused paths, which must file an attempt under its client."""
    return _email_owner_id(email)


def check_organization(organization_id: str | None) -> None:
    if organization_id is None:
        return
    from chalicelib.services.organizations import organization_exists

    if not organization_exists(organization_id):
        raise InvalidInput("This organization does not exist.", fields={"organization_id": "unknown organization"})


def new_client_item(email: str, *, name: str | None, phone: str | None, organization_id: str | None, role: str,
                    now: datetime) -> UserModel:
    return UserModel(
        new_id(), kind=CLIENT_KIND, email=email, email_lower=email.lower(), name=name or None, phone=phone or None,
        organization_id=organization_id, role=role, status=INACTIVE, sessions={}, reminders_sent=0,
        created_at=now, updated_at=now,
    )


def guard_item(client: UserModel) -> UserModel:
    return UserModel(email_guard_id(client.email or ""), owner_id=client.id)


def create_client(email: str, *, name: str | None = None, phone: str | None = None,
                  organization_id: str | None = None, role: str = CLIENT_USER, send_invitation: bool = False,
                  invited_by: str | None = None) -> Client:
    """A new client, `inactive` unless invited at once (then `invited`, with the welcome
    email queued in the same transaction). The email guard makes a concurrent create
    with the same address fail with 409."""
    check_organization(organization_id)
    now = utcnow()
    item = new_client_item(email, name=name, phone=phone, organization_id=organization_id, role=role, now=now)
    extra: list[Any] = []
    if send_invitation:
        from chalicelib.services.invitations import prepare_invitation

        extra = prepare_invitation(item, now, invited_by=invited_by)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(guard_item(item), condition=UserModel.id.does_not_exist())
            tx.save(item, condition=UserModel.id.does_not_exist())
            for other in extra:
                tx.save(other, condition=other.__class__.id.does_not_exist())
    except TransactWriteError:
        raise email_taken() from None
    return to_client(item)


def get_client(client_id: str) -> Client:
    return to_client(load_item(client_id))


def list_clients(*, limit: int, start_key: dict | None, organization_id: str | None = None,
                 status: str | None = None, email: str | None = None, email_prefix: str | None = None,
                 ) -> tuple[list[Client], dict | None]:
    """One Query on the index that matches the filters (never a Scan)."""
    if email:
        found = find_by_email(email)
        matches = found is not None and (organization_id in (None, found.organization_id)) and (
            status in (None, found.status))
        return ([to_client(found)] if matches and found else []), None
    condition = UserModel.email_lower.startswith(email_prefix.lower()) if email_prefix else None
    if organization_id:
        filters = UserModel.status == status if status else None
        result = UserModel.by_organization.query(organization_id, condition, filter_condition=filters, limit=limit,
                                                 last_evaluated_key=start_key)
    elif status:
        result = UserModel.by_status.query(status, condition, limit=limit, last_evaluated_key=start_key)
    else:
        result = UserModel.by_kind_email.query(CLIENT_KIND, condition, limit=limit, last_evaluated_key=start_key)
    items = [to_client(item) for item in result]
    return items, result.last_evaluated_key


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
        check_organization(changes["organization_id"])
        actions.append(UserModel.organization_id.set(changes["organization_id"]) if changes["organization_id"]
                       else UserModel.organization_id.remove())
    disabled = changes.get("disabled")
    if disabled is True and item.status != DISABLED:
        actions += disable_actions()
    elif disabled is False and item.status == DISABLED:
        actions.append(UserModel.status.set(_status_when_enabled(item)))
    if not actions:
        return to_client(item)
    actions.append(UserModel.updated_at.set(now))
    try:
        item.update(actions=actions, condition=UserModel.kind == CLIENT_KIND)
    except UpdateError:
        raise NotFound("Client not found.") from None
    return to_client(load_item(client_id))


def disable_actions() -> list[Any]:
    return [UserModel.status.set(DISABLED), UserModel.sessions.set({}), UserModel.reminder_queue.remove(),
            UserModel.invite_token_hash.remove(), UserModel.reset_token_hash.remove()]


def delete_client(client_id: str) -> None:
    """Remove the portal account and its email guard. Tickets keep the requester's name
    and email (they are copied onto the ticket), so nothing else changes."""
    item = load_item(client_id)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.delete(item, condition=UserModel.kind == CLIENT_KIND)
            tx.delete(UserModel(email_guard_id(item.email or "")), condition=UserModel.owner_id == item.id)
    except TransactWriteError:
        raise NotFound("Client not found.") from None


def is_pending_status(status: str | None) -> bool:
    return status in (INACTIVE, INVITED)
