"""A client admin's view of their organization's clients (product.md §2): list them,
invite a colleague as a client user, deactivate a colleague. Nobody reaches another
organization's clients: they are 404, exactly like clients that do not exist."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.errors import Conflict, Forbidden, NotFound
from chalicelib.identity import ActingClient
from chalicelib.models.users import CLIENT_USER, DISABLED, UserModel
from chalicelib.services import client_store, clients, throttle
from chalicelib.services.client_store import Client


def _organization_of(admin: ActingClient) -> str:
    if not admin.is_client_admin:
        raise Forbidden("Only client admins manage their organization's clients.")
    if not admin.organization_id:
        raise Forbidden("Your account does not belong to an organization.")
    return admin.organization_id


def list_colleagues(admin: ActingClient, *, limit: int, start_key: dict | None
                    ) -> tuple[list[Client], dict | None]:
    organization_id = _organization_of(admin)
    return clients.list_clients(limit=limit, start_key=start_key, organization_id=organization_id)


def invite_colleague(admin: ActingClient, email: str, name: str | None) -> Client:
    organization_id = _organization_of(admin)
    return clients.create_client(email, name=name, organization_id=organization_id, role=CLIENT_USER,
                                 send_invitation=True, invited_by=f"client:{admin.id}")


def _colleague(admin: ActingClient, client_id: str) -> UserModel:
    organization_id = _organization_of(admin)
    item = client_store.find_item(client_id)
    if item is None or item.organization_id != organization_id:
        raise NotFound("Client not found.")
    return item


def disable_colleague(admin: ActingClient, client_id: str) -> Client:
    item = _colleague(admin, client_id)
    if item.id == admin.id:
        raise Conflict("You cannot deactivate your own account.")
    return clients.update_client(item.id, {"disabled": True})


# Invitations a client admin sends (new colleagues and resends alike) in an hour: per admin, and
# per organization (counted as the counter's second subject). The same counters as inviting.
CLIENT_ADMIN_INVITES = throttle.Limit("client_admin_invites_per_hour", per_account=20, per_ip=50,
                                      window=timedelta(hours=1))


def count_invitation(admin: ActingClient, organization_id: str) -> None:
    """429 once the admin or the organization sent its hourly allowance of invitations."""
    throttle.attempt(CLIENT_ADMIN_INVITES, ip=f"organization:{organization_id}", account=f"client:{admin.id}")


def enable_colleague(admin: ActingClient, client_id: str) -> Client:
    """Re-enable a deactivated colleague: active again if they had activated, else inactive
    (their old links died with the disabling: the admin resends the invitation)."""
    item = _colleague(admin, client_id)
    if item.status != DISABLED:
        raise Conflict("This colleague is not deactivated.")
    return clients.update_client(item.id, {"disabled": False}, changed_by=f"client:{admin.id}")


def resend_invitation(admin: ActingClient, client_id: str) -> Client:
    """Send a colleague's invitation again (a new link; the old one stops working): only while
    they have not activated; counted against the hourly invitation limit."""
    from chalicelib.services import invitations

    item = _colleague(admin, client_id)
    count_invitation(admin, item.organization_id or "")
    return invitations.send_invitation(item.id, invited_by=f"client:{admin.id}")
