"""Assets (product.md §10): an organization's equipment, optionally assigned to one of its
clients. Agents with `manage-assets` create, edit, assign and retire them; every agent reads
them; clients read what visibility.asset_visible allows, never `internal_notes`.

A serial number is unique within its organization: its guard item is written in the same
transaction as the asset, on condition it does not exist yet (models/assets.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.identity import ActingClient, Caller
from chalicelib.ids import iso, new_id, utcnow
from chalicelib.models.assets import ASSET_KIND, AssetModel, SerialGuardModel, serial_guard_id
from chalicelib.models.base import MAX_KEY_BYTES, get_of_kind, is_plain_id
from chalicelib.models.tickets import TicketModel
from chalicelib.services.client_store import find_item as find_client
from chalicelib.services.organizations import organization_exists
from chalicelib.services.transaction_plan import TransactionPlan
from chalicelib.services.visibility import asset_visible, sees_internals, ticket_visible

# What an agent may set on an asset (PATCH /agent/assets/{id}); `client_id` null unassigns.
EDITABLE = ("organization_id", "client_id", "name", "type", "serial", "status", "purchased_on", "warranty_until",
            "attributes", "internal_notes")
NULLABLE = ("client_id", "type", "serial", "purchased_on", "warranty_until", "attributes", "internal_notes")


def connection() -> Any:
    return AssetModel._get_connection().connection


# --- views ------------------------------------------------------------------------------

def asset_view(item: AssetModel, caller: Caller) -> dict[str, Any]:
    """The asset as `caller` may see it: agents also get its internal notes and version."""
    view = {
        "id": item.id, "organization_id": item.organization_id, "client_id": item.client_id, "name": item.name,
        "type": item.type, "serial": item.serial, "status": item.status, "purchased_on": item.purchased_on,
        "warranty_until": item.warranty_until, "attributes": attributes_of(item),
        "created_at": iso(item.created_at), "updated_at": iso(item.updated_at),
    }
    if sees_internals(caller):
        view.update(internal_notes=item.internal_notes, version=int(item.version or 0))
    return view


def attributes_of(item: AssetModel) -> dict[str, str]:
    stored = item.attributes
    return stored.as_dict() if hasattr(stored, "as_dict") else dict(stored or {})


def current(item: AssetModel, field: str) -> Any:
    """The stored value as `_stored` spells a new one (no attributes: None)."""
    if field == "attributes":
        return attributes_of(item) or None
    return getattr(item, field)


# --- reading ----------------------------------------------------------------------------

def find(asset_id: str) -> AssetModel | None:
    if not is_plain_id(asset_id):
        return None
    return get_of_kind(AssetModel, asset_id, ASSET_KIND)


def load_visible(asset_id: str, caller: Caller) -> AssetModel:
    """The asset, or 404 when it does not exist or `caller` may not see it."""
    item = find(asset_id)
    if item is None or not asset_visible(caller, item):
        raise NotFound("Asset not found.")
    return item


def find_by_serial(organization_id: str, serial: str) -> AssetModel | None:
    """Through the serial's guard item: one GetItem, then the asset."""
    guard_id = serial_guard_id(organization_id, serial)
    if len(guard_id.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        return None
    try:
        owner_id = SerialGuardModel.get(guard_id, consistent_read=True).owner_id
    except SerialGuardModel.DoesNotExist:
        return None
    return find(owner_id) if owner_id else None


def list_for_agent(*, organization_id: str | None, client_id: str | None, serial: str | None, limit: int,
                   start_key: dict | None) -> tuple[list[AssetModel], dict | None]:
    """One Query on the index the filters name (the serial: its guard and the asset)."""
    if serial is not None and organization_id:
        found = find_by_serial(organization_id, serial)
        matches = found is not None and client_id in (None, found.client_id)
        return ([found] if matches and found else []), None
    if serial is not None:
        filters = AssetModel.client_id == client_id if client_id else None
        result = AssetModel.by_serial.query(serial, filter_condition=filters, limit=limit,
                                            last_evaluated_key=start_key)
    elif client_id:
        filters = AssetModel.organization_id == organization_id if organization_id else None
        result = AssetModel.by_client_id.query(client_id, filter_condition=filters, limit=limit,
                                               last_evaluated_key=start_key)
    elif organization_id:
        result = AssetModel.by_organization_id.query(organization_id, limit=limit, last_evaluated_key=start_key)
    else:
        result = AssetModel.by_kind_id.query(ASSET_KIND, limit=limit, last_evaluated_key=start_key)
    items = list(result)
    return items, result.last_evaluated_key


def list_for_client(client: ActingClient, *, limit: int, start_key: dict | None
                    ) -> tuple[list[AssetModel], dict | None]:
    """A client's assets; a client admin's: their organization's. One Query."""
    if client.is_client_admin and client.organization_id:
        result = AssetModel.by_organization_id.query(client.organization_id, limit=limit,
                                                     last_evaluated_key=start_key)
    else:
        result = AssetModel.by_client_id.query(client.id, limit=limit, last_evaluated_key=start_key)
    return list(result), result.last_evaluated_key


def tickets_of(item: AssetModel, caller: Caller, *, limit: int, start_key: dict | None
               ) -> tuple[list[TicketModel], dict | None]:
    """The asset's tickets, newest first, that `caller` may see (one Query)."""
    result = TicketModel.by_asset_number.query(item.id, scan_index_forward=False, limit=limit,
                                               last_evaluated_key=start_key)
    tickets = [ticket for ticket in result if ticket_visible(caller, ticket)]
    return tickets, result.last_evaluated_key


def asset_for_ticket(asset_id: str | None, client: ActingClient | None, organization_id: str | None
                     ) -> AssetModel | None:
    """The asset a new ticket may name: of the requester's organization and, when a client
    opens it, one they may see (theirs, or their organization's as a client admin); else 400.
    An agent opening a ticket for a client may name any asset of that client's organization."""
    if asset_id is None:
        return None
    item = find(asset_id)
    visible = item is not None and (client is None or asset_visible(client, item))
    if not visible or not organization_id or item.organization_id != organization_id:
        raise InvalidInput("This asset is not one of the requester's.", fields={"asset_id": "unknown asset"})
    return item


# --- writing ----------------------------------------------------------------------------

def _check_organization(organization_id: str) -> None:
    if not organization_exists(organization_id):
        raise InvalidInput("This organization does not exist.", fields={"organization_id": "unknown organization"})


def _check_client(client_id: str | None, organization_id: str) -> None:
    """An asset is assigned only to a client of its own organization."""
    if client_id is None:
        return
    client = find_client(client_id)
    if client is None:
        raise InvalidInput("This client does not exist.", fields={"client_id": "unknown client"})
    if client.organization_id != organization_id:
        raise InvalidInput("The client belongs to another organization.",
                           fields={"client_id": "not of the asset's organization"})


def _stored(field: str, value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if field in NULLABLE and value in ("", {}):
        return None
    return value


def new_item(fields: dict[str, Any], now: Any) -> AssetModel:
    asset_id = new_id()
    values = {field: _stored(field, fields.get(field)) for field in EDITABLE}
    values["status"] = values["status"] or "in_use"
    return AssetModel(asset_id, kind=ASSET_KIND, asset_key=asset_id, created_at=now, updated_at=now, **values)


def guard(item: AssetModel) -> SerialGuardModel:
    return SerialGuardModel(serial_guard_id(item.organization_id, item.serial), owner_id=item.id)


def serial_taken() -> Conflict:
    return Conflict("Another asset of this organization has this serial number.", fields={"serial": "already taken"})


def create_asset(fields: dict[str, Any]) -> AssetModel:
    """A new asset (and its serial's guard, in one transaction: a duplicate serial is 409)."""
    _check_organization(fields["organization_id"])
    _check_client(fields.get("client_id"), fields["organization_id"])
    item = new_item(fields, utcnow())
    plan = TransactionPlan(creates=[item] + ([guard(item)] if item.serial else []))
    try:
        plan.write(connection())
    except TransactWriteError:
        raise serial_taken() from None
    return item


def update_asset(asset_id: str, changes: dict[str, Any]) -> AssetModel:
    """Edit, assign (client_id), unassign (client_id null), retire (status). `version`, when
    given, must be the current one (a stale one is 409); a concurrent change is 409 too."""
    changes = dict(changes)
    version = changes.pop("version", None)
    item = find(asset_id)
    if item is None:
        raise NotFound("Asset not found.")
    if version is not None and int(item.version or 0) != version:
        raise Conflict("The asset changed since you read it; reload and try again.",
                       fields={"version": f"current version is {int(item.version or 0)}"})
    for field in ("organization_id", "name", "status"):
        if field in changes and changes[field] is None:
            changes.pop(field)  # required: never cleared
    plan = apply_changes(item, changes)
    if plan is None:
        return item
    try:
        plan.write(connection())
    except TransactWriteError:
        raise Conflict("The asset changed meanwhile, or its serial number is taken; reload and try again.",
                       fields={"serial": "may be taken"} if item.serial else None) from None
    return item


def apply_changes(item: AssetModel, changes: dict[str, Any]) -> TransactionPlan | None:
    """Set `changes` on `item` and plan its write with the serial guards it moves; None when
    nothing differs. Checks the organization and the assigned client first."""
    wanted = {field: _stored(field, value) for field, value in changes.items() if field in EDITABLE}
    differing = {field: value for field, value in wanted.items() if current(item, field) != value}
    if not differing:
        return None
    organization_id = differing.get("organization_id", item.organization_id)
    if "organization_id" in differing:
        _check_organization(organization_id)
    client_id = differing.get("client_id", item.client_id)
    if "client_id" in differing or "organization_id" in differing:
        if "organization_id" in differing and "client_id" not in differing and client_id:
            client_id = differing["client_id"] = None  # moving organization unassigns the client
        _check_client(client_id, organization_id)
    old_guard = guard(item) if item.serial else None
    for field, value in differing.items():
        setattr(item, field, value)
    item.updated_at = utcnow()
    plan = TransactionPlan(saves=[item])
    new_guard = guard(item) if item.serial else None
    if (old_guard.id if old_guard else None) != (new_guard.id if new_guard else None):
        if old_guard:
            plan.deletes.append(old_guard)  # this asset's own guard: its serial is unique to it
        if new_guard:
            plan.creates.append(new_guard)
    return plan


def unassign_client(client_id: str) -> int:
    """Removing a client leaves their assets with the organization, unassigned: a Query on
    the client index, then one conditional update each (only if still assigned to them)."""
    count = 0
    for item in AssetModel.by_client_id.query(client_id):
        try:
            item.update(actions=[AssetModel.client_id.remove(), AssetModel.updated_at.set(utcnow())],
                        condition=AssetModel.client_id == client_id)
            count += 1
        except UpdateError:  # reassigned meanwhile: nothing to do
            continue
    return count
