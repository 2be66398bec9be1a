"""A client admin's view of their organization's clients (product.md §2): list them,
invite a colleague as a client user, deactivate a colleague. Nobody reaches another
organization's clients: they are 404, exactly like clients that do not exist.

Inviting tells nothing about other organizations: every valid address gets the same 202, and
the list shows the invitation as pending whether the address was new (a new invited client)
or already has an account elsewhere (a pending-invitation item; that client gets a mail asking
whether they want to move, which they may ignore). Invitations are bounded per admin and per
organization an hour (throttle.colleague_invitation).
"""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.config import get_config
from chalicelib.errors import Conflict, Forbidden, NotFound
from chalicelib.identity import ActingClient
from chalicelib.ids import new_id, utcnow
from chalicelib.models.base import get_of_kind, is_plain_id, key_after_returned
from chalicelib.models.outbox import OutboxModel
from chalicelib.models.users import (
    CLIENT_KIND,
    CLIENT_USER,
    COLLEAGUE_INVITE_KIND,
    DISABLED,
    INVITED,
    UserModel,
)
from chalicelib.services import client_store, clients, invitations, outbox, throttle
from chalicelib.services.client_store import Client
from chalicelib.services.settings import get_settings

MOVE_REQUEST_TEMPLATE = "colleague-move-request"


def _organization_of(admin: ActingClient) -> str:
    if not admin.is_client_admin:
        raise Forbidden("Only client admins manage their organization's clients.")
    if not admin.organization_id:
        raise Forbidden("Your account does not belong to an organization.")
    return admin.organization_id


def _pending_view(item: UserModel) -> Client:
    """A pending invitation as the colleagues list shows it: an invited (or withdrawn) client."""
    item.status = item.invite_status or INVITED
    return client_store.to_client(item)


def list_colleagues(admin: ActingClient, *, limit: int, start_key: dict | None
                    ) -> tuple[list[Client], dict | None]:
    """One Query on the organization's index: its clients and its pending invitations, by email."""
    organization_id = _organization_of(admin)
    result = UserModel.by_organization.query(organization_id, limit=limit, last_evaluated_key=start_key)
    found = [item for item in result if item.kind in (CLIENT_KIND, COLLEAGUE_INVITE_KIND)]
    views = [_pending_view(item) if item.kind == COLLEAGUE_INVITE_KIND else client_store.to_client(item)
             for item in client_store.items_of(found)]
    return views, key_after_returned(result, found)


def invite_colleague(admin: ActingClient, email: str, name: str | None) -> None:
    """Invite `email` into the admin's organization; the same outcome for the caller whatever the
    address. New: a new invited client. A client of this organization: an invited one gets the
    invitation again (at most once an hour), anyone else nothing. A client elsewhere (another
    organization or none): a pending invitation here and a mail asking them whether to move."""
    organization_id = _organization_of(admin)
    count_invitation(admin, organization_id)
    existing = client_store.find_by_email(email)
    if existing is None:
        try:
            clients.create_client(email, name=name, organization_id=organization_id, role=CLIENT_USER,
                                  send_invitation=True, invited_by=f"client:{admin.id}")
            return
        except Conflict:  # created a moment ago by someone else
            existing = client_store.find_by_email(email)
            if existing is None:
                return
    if existing.organization_id == organization_id:
        if existing.status == INVITED:
            invitations.resend_on_request(existing)
        return
    _invite_from_elsewhere(admin, organization_id, existing, name)


def _invite_from_elsewhere(admin: ActingClient, organization_id: str, client: UserModel, name: str | None) -> None:
    """A pending invitation in this organization (once per address) and the move-request mail."""
    email = client.email or ""
    already = UserModel.by_organization.query(organization_id, UserModel.email_lower == email.lower(),
                                              filter_condition=UserModel.kind == COLLEAGUE_INVITE_KIND, limit=1)
    if next(iter(already), None) is not None:
        return
    now = utcnow()
    pending = UserModel(new_id(), kind=COLLEAGUE_INVITE_KIND, email=email, email_lower=email.lower(),
                        name=name or None, organization_id=organization_id, role=CLIENT_USER,
                        invite_status=INVITED, invited_at=now, invited_by=f"client:{admin.id}", created_at=now,
                        updated_at=now)
    from chalicelib.services.organizations import get_organization

    message = outbox.message(MOVE_REQUEST_TEMPLATE, email, {
        "name": client.name or "", "email": email, "inviter_name": admin.name or admin.email,
        "organization_name": get_organization(organization_id).name, "portal_url": get_config().portal_url,
    }, reason=f"colleague-move:{organization_id}:{client.id}")
    try:
        with TransactWrite(connection=client_store.connection()) as tx:
            tx.save(pending, condition=UserModel.id.does_not_exist())
            tx.save(message, condition=OutboxModel.id.does_not_exist())
    except TransactWriteError:
        return  # this organization asked this client already


def _colleague(admin: ActingClient, client_id: str) -> UserModel:
    organization_id = _organization_of(admin)
    item = client_store.find_item(client_id) or _pending_invitation(client_id)
    if item is None or item.organization_id != organization_id:
        raise NotFound("Client not found.")
    return item


def _pending_invitation(item_id: str) -> UserModel | None:
    if not is_plain_id(item_id):
        return None
    return get_of_kind(UserModel, item_id, COLLEAGUE_INVITE_KIND)


def disable_colleague(admin: ActingClient, client_id: str) -> Client:
    item = _colleague(admin, client_id)
    if item.id == admin.id:
        raise Conflict("You cannot deactivate your own account.")
    if item.kind == COLLEAGUE_INVITE_KIND:
        # Withdrawn, as a disabled invited client is: it stays listed, the mail already sent stands.
        item.update(actions=[UserModel.invite_status.set(DISABLED), UserModel.updated_at.set(utcnow())])
        return _pending_view(item)
    return clients.update_client(item.id, {"disabled": True})


def count_invitation(admin: ActingClient, organization_id: str) -> None:
    """Count one invitation a client admin sends (a new colleague or a resend alike) against the
    one hourly invitation limit, per admin and per organization; 429 once either is used up."""
    throttle.colleague_invitation(admin.id, organization_id, per_admin=get_settings().client_admin_invites_per_hour)


def enable_colleague(admin: ActingClient, client_id: str) -> Client:
    """Re-enable a deactivated colleague: active again if they had activated, else inactive
    (their old links died with the disabling: the admin resends the invitation)."""
    item = _colleague(admin, client_id)
    if item.status != DISABLED:
        raise Conflict("This colleague is not deactivated.")
    return clients.update_client(item.id, {"disabled": False}, changed_by=f"client:{admin.id}")


def resend_invitation(admin: ActingClient, client_id: str) -> Client:
    """Send a colleague's invitation again (a new link; the old one stops working): only while
    they have not activated; counted against the hourly invitation limit, as inviting is."""
    item = _colleague(admin, client_id)
    count_invitation(admin, item.organization_id or "")
    return invitations.send_invitation(item.id, invited_by=f"client:{admin.id}")
