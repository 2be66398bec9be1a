"""The assets table: assets and the guard items that keep a serial number unique within
its organization (product.md §10).

  - `<ULID>`                         an asset (kind = "asset"), versioned (optimistic locking);
  - `serial#<organization>#<serial>` a guard written in the same transaction as its asset, on
                                     condition it does not exist (like the clients' email
                                     guards); the exact-serial lookup is one GetItem on it.

An asset's tickets are found through the tickets table's `by_asset_number` index (a ticket
carries `asset_id`).
"""

from __future__ import annotations

from pynamodb.attributes import MapAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import UTCDateTime, index_meta, table_meta

ASSET_KIND = "asset"
ASSET_STATUSES = ("in_use", "in_repair", "retired")


class AssetsByKind(GlobalSecondaryIndex):
    """Every asset, oldest first (ULIDs sort by creation): the agents' unfiltered list."""

    Meta = index_meta("by_kind_id")
    kind = UnicodeAttribute(hash_key=True)
    asset_key = UnicodeAttribute(range_key=True)


class AssetsByOrganization(GlobalSecondaryIndex):
    """One organization's assets: the agents' filter and a client admin's portal list."""

    Meta = index_meta("by_organization_id")
    organization_id = UnicodeAttribute(hash_key=True)
    asset_key = UnicodeAttribute(range_key=True)


class AssetsByClient(GlobalSecondaryIndex):
    """Sparse: only assigned assets carry `client_id`. A client user's portal list, the
    agents' filter, and what removing a client unassigns."""

    Meta = index_meta("by_client_id")
    client_id = UnicodeAttribute(hash_key=True)
    asset_key = UnicodeAttribute(range_key=True)


class AssetsBySerial(GlobalSecondaryIndex):
    """Sparse: assets with a serial number; the exact-serial search across organizations
    (within one, the serial's guard answers)."""

    Meta = index_meta("by_serial")
    serial = UnicodeAttribute(hash_key=True)
    asset_key = UnicodeAttribute(range_key=True)


class AssetModel(Model):
    Meta = table_meta("assets")

    id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(null=True)
    asset_key = UnicodeAttribute(null=True)  # the id again: the indexes' sort key
    organization_id = UnicodeAttribute(null=True)
    client_id = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    type = UnicodeAttribute(null=True)
    serial = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    purchased_on = UnicodeAttribute(null=True)  # ISO date
    warranty_until = UnicodeAttribute(null=True)  # ISO date
    attributes = MapAttribute(null=True)  # str -> str, at most 20
    internal_notes = UnicodeAttribute(null=True)
    created_at = UTCDateTime(null=True)
    updated_at = UTCDateTime(null=True)
    version = VersionAttribute(null=True)

    by_kind_id = AssetsByKind()
    by_organization_id = AssetsByOrganization()
    by_client_id = AssetsByClient()
    by_serial = AssetsBySerial()


class SerialGuardModel(Model):
    """A serial guard in the assets table: its own model because guards carry no version."""

    Meta = table_meta("assets")

    id = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute(null=True)


def serial_guard_id(organization_id: str, serial: str) -> str:
    return f"serial#{organization_id}#{serial}"
