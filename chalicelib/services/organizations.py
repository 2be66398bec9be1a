"""Organizations: the helpdesk's customers. Names are unique, case-insensitively."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.connection import Connection  # noqa: F401  (type only)
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import Conflict, NotFound
from chalicelib.ids import iso, new_id, utcnow
from chalicelib.models.base import get_of_kind
from chalicelib.models.organizations import ORGANIZATION_KIND, OrganizationModel, name_guard_id


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    domain: str | None
    notes: str | None
    require_2fa: bool
    created_at: str | None
    updated_at: str | None
    portal_enabled: bool = True
    join_by_domain: bool = False

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _to_dc(item: OrganizationModel) -> Organization:
    return Organization(item.id, item.name or "", item.domain, item.notes, bool(item.require_2fa),
                        iso(item.created_at), iso(item.updated_at),
                        portal_enabled=item.portal_enabled is not False, join_by_domain=bool(item.join_by_domain))


def _join_domain(item: OrganizationModel) -> str | None:
    """The sparse `by_join_domain` key: set only while joining by domain is on and a domain is set."""
    return item.domain.lower() if item.join_by_domain and item.domain else None


def _name_taken() -> Conflict:
    return Conflict("An organization with this name already exists.", fields={"name": "already taken"})


def _connection():
    return OrganizationModel._get_connection().connection


def create_organization(name: str, *, domain: str | None = None, notes: str | None = None,
                        require_2fa: bool = False, portal_enabled: bool = True,
                        join_by_domain: bool = False) -> Organization:
    now = utcnow()
    org = OrganizationModel(new_id(), kind=ORGANIZATION_KIND, name=name, name_lower=name.lower(), domain=domain,
                            notes=notes, require_2fa=require_2fa or None, created_at=now, updated_at=now,
                            portal_enabled=None if portal_enabled else False, join_by_domain=join_by_domain or None)
    org.join_domain = _join_domain(org)
    guard = OrganizationModel(name_guard_id(name), owner_id=org.id)
    try:
        with TransactWrite(connection=_connection()) as tx:
            tx.save(guard, condition=OrganizationModel.id.does_not_exist())
            tx.save(org, condition=OrganizationModel.id.does_not_exist())
    except TransactWriteError:
        raise _name_taken() from None
    return _to_dc(org)


def _get_item(organization_id: str) -> OrganizationModel:
    if organization_id.startswith("name#"):
        raise NotFound("Organization not found.")
    item = get_of_kind(OrganizationModel, organization_id, ORGANIZATION_KIND, consistent_read=False)
    if item is None:
        raise NotFound("Organization not found.")
    return item


def get_organization(organization_id: str) -> Organization:
    return _to_dc(_get_item(organization_id))


def requires_2fa(organization_id: str) -> bool:
    """Whether the organization requires a second factor of its clients (one GetItem)."""
    try:
        return bool(_get_item(organization_id).require_2fa)
    except NotFound:
        return False


def organization_exists(organization_id: str) -> bool:
    return portal_off(organization_id) is not None


def portal_off(organization_id: str) -> bool | None:
    """Whether the organization's portal access is switched off; None when there is no such
    organization. What a client joining it copies onto their item."""
    try:
        return _get_item(organization_id).portal_enabled is False
    except NotFound:
        return None


def joinable_by_domain(email: str) -> Organization | None:
    """The organization a verified self-sign-up from this address joins (join_by_domain on and
    its domain is the address's): one Query on the sparse by_join_domain index; None otherwise.
    Two organizations may share a domain: the first by id joins."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain or len(domain) > 253:
        return None
    for item in OrganizationModel.by_join_domain.query(domain, limit=1):
        return _to_dc(item)
    return None


def update_organization(organization_id: str, changes: dict[str, Any]) -> Organization:
    item = _get_item(organization_id)
    old_name = item.name or ""
    new_name = changes.get("name", old_name)
    for field in ("domain", "notes"):
        if field in changes:
            setattr(item, field, changes[field] or None)
    was_off = item.portal_enabled is False
    if changes.get("portal_enabled") is not None:
        item.portal_enabled = None if changes["portal_enabled"] else False
    if changes.get("join_by_domain") is not None:
        item.join_by_domain = changes["join_by_domain"] or None
    item.join_domain = _join_domain(item)
    if changes.get("require_2fa") is not None:
        item.require_2fa = bool(changes["require_2fa"])
    item.name, item.name_lower, item.updated_at = new_name, new_name.lower(), utcnow()
    try:
        with TransactWrite(connection=_connection()) as tx:
            if new_name.lower() != old_name.lower():
                tx.delete(OrganizationModel(name_guard_id(old_name)))
                tx.save(OrganizationModel(name_guard_id(new_name), owner_id=item.id),
                        condition=OrganizationModel.id.does_not_exist())
            tx.save(item, condition=OrganizationModel.kind == ORGANIZATION_KIND)
    except TransactWriteError:
        raise _name_taken() from None
    if (item.portal_enabled is False) != was_off:
        from chalicelib.services.client_store import copy_organization_switch

        copy_organization_switch(item.id, portal_off=item.portal_enabled is False)
    return _to_dc(item)


def list_organizations(*, limit: int, start_key: dict | None, name_prefix: str | None = None
                       ) -> tuple[list[Organization], dict | None]:
    condition = OrganizationModel.name_lower.startswith(name_prefix.lower()) if name_prefix else None
    result = OrganizationModel.by_name.query(ORGANIZATION_KIND, condition, limit=limit,
                                             last_evaluated_key=start_key)
    items = [_to_dc(item) for item in result]
    return items, result.last_evaluated_key
