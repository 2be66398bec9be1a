"""Client items in the users table: reading them, building new ones and their email guards,
and the view of a client that services hand back.

Every service that touches a client account (clients, invitations, sessions, tokens,
accounts, colleagues, tickets) reads it through here; this module imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.errors import Conflict, NotFound
from chalicelib.identity import receives_notifications
from chalicelib.ids import iso, new_id
from chalicelib.models.base import get_of_kind, is_plain_id
from chalicelib.models.batch import get_both
from chalicelib.models.users import CLIENT_KIND, CLIENT_USER, INACTIVE, UserModel, email_guard_id
from chalicelib.services.mail_feedback import client_status

MAX_EMAIL_LENGTH = 320  # no address is longer; keys have a size limit


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
    pending_email: str | None = None  # an agent's change, waiting for its confirmation link

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
    email_status, email_status_since = client_status(item)
    return Client(
        id=item.id, email=item.email or "", name=item.name, phone=item.phone, organization_id=item.organization_id,
        role=item.role or CLIENT_USER, status=item.status or INACTIVE, self_signup=item.signup == "self",
        created_at=iso(item.created_at), updated_at=iso(item.updated_at), invited_at=iso(item.invited_at),
        activated_at=iso(item.activated_at), last_login_at=iso(item.last_login_at),
        reminders_sent=int(item.reminders_sent or 0), last_reminder_at=iso(item.last_reminder_at),
        next_reminder_at=item.next_reminder_at if item.reminder_queue else None,
        email_status=email_status, email_status_since=iso(email_status_since), pending_email=item.pending_email,
    )


def items_of(listed: list[UserModel]) -> list[UserModel]:
    """The items of index entries (keys and LIST_PROJECTION only), in the entries' order: one
    BatchGet. An item deleted meanwhile is left out."""
    if not listed:
        return []
    loaded = {item.id: item for item in UserModel.batch_get([entry.id for entry in listed])}
    return [loaded[entry.id] for entry in listed if entry.id in loaded]


def connection() -> Any:
    """The users table's connection, for transactions that write client items."""
    return UserModel._get_connection().connection


def email_taken() -> Conflict:
    return Conflict("A client with this email already exists.", fields={"email": "already taken"})


def load_item(client_id: str) -> UserModel:
    """The client item, strongly consistent; 404 for anything that is not a client."""
    if not is_plain_id(client_id):
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


def find_item_beside(client_id: str, other: type, other_key: str) -> tuple[UserModel | None, Any]:
    """`find_item` and an item of another table (`other` at `other_key`, or None), read in the
    same BatchGetItem."""
    if not is_plain_id(client_id):
        return None, None
    found = get_both(UserModel, client_id, other, other_key)
    item = found.get(UserModel)
    return (item if item is not None and item.kind == CLIENT_KIND else None), found.get(other)


def _email_owner_id(email: str) -> str | None:
    """The id its guard item names for this email (any case), or None: one GetItem."""
    if not email.strip() or len(email) > MAX_EMAIL_LENGTH:
        return None
    try:
        return UserModel.get(email_guard_id(email), consistent_read=True).owner_id or None
    except DoesNotExist:
        return None


def find_by_email(email: str) -> UserModel | None:
    """The client owning this email (any case), through its guard item."""
    client_id = _email_owner_id(email)
    return find_item(client_id) if client_id else None


# Read in place of the client when an email has no guard: no item has this key (a client id
# never holds "#"), so an unknown address costs the two GetItems a known one does.
_NO_CLIENT = "no-client#"


# What the anonymous doors read of a client: a few short attributes (not its sessions), so a
# found client costs about what a missing one does.
_DOOR_ATTRIBUTES = ("id", "kind", "email", "name", "status", "signup", "organization_id")


def find_by_email_evenly(email: str) -> UserModel | None:
    """`find_by_email`, in two GetItems whether or not the email has an account, reading only
    `_DOOR_ATTRIBUTES`: for the anonymous doors (sign-up, forgot-password), whose timing must not
    tell which it is. The item holds only those attributes: for key-only writes and mail data."""
    client_id = _email_owner_id(email)
    try:
        item = UserModel.get(client_id or _NO_CLIENT, consistent_read=True, attributes_to_get=list(_DOOR_ATTRIBUTES))
    except DoesNotExist:
        return None
    return item if client_id and item.kind == CLIENT_KIND else None


def client_id_by_email(email: str) -> str | None:
    """The id of the client owning this email, without reading the client: for the portal
    log on refused paths, which must file an attempt under its client."""
    return _email_owner_id(email)


def new_client_item(email: str, *, name: str | None, phone: str | None, organization_id: str | None, role: str,
                    now: datetime, portal_off: bool = False) -> UserModel:
    """An unsaved, inactive client; save it with its `guard_item` in one transaction.
    `portal_off`: its organization's portal switch is off (see `portal_switch_action`)."""
    return UserModel(
        new_id(), kind=CLIENT_KIND, email=email, email_lower=email.lower(), name=name or None, phone=phone or None,
        organization_id=organization_id, role=role, status=INACTIVE, sessions={}, reminders_sent=0,
        organization_portal_off=portal_off or None, created_at=now, updated_at=now,
    )


def guard_item(client: UserModel) -> UserModel:
    """The item that keeps the client's email unique: saved on condition it does not exist."""
    return UserModel(email_guard_id(client.email or ""), owner_id=client.id)


def portal_switch_action(portal_off: bool) -> Any:
    """The update action that copies the client's organization's portal switch onto its item,
    where sessions.authenticate reads it (set when switched off, absent otherwise)."""
    return UserModel.organization_portal_off.set(True) if portal_off else UserModel.organization_portal_off.remove()


def copy_organization_switch(organization_id: str, *, portal_off: bool) -> int:
    """Copy an organization's portal switch onto each of its clients' items (Query by_organization,
    one UpdateItem per client), so a portal request reads it with the GetItem that checks the
    session: switched off, every session of the organization is refused at its next request.
    Conditioned on the client still being in the organization. Returns how many were written."""
    from pynamodb.exceptions import UpdateError

    action = portal_switch_action(portal_off)
    written = 0
    for item in UserModel.by_organization.query(organization_id):
        if item.kind != CLIENT_KIND:
            continue
        try:
            item.update(actions=[action], condition=UserModel.organization_id == organization_id)
            written += 1
        except UpdateError:
            continue  # moved to another organization meanwhile: its own switch applies
    return written
