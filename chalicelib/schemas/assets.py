"""Request and answer bodies of assets (product.md §10) and CSV imports."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from chalicelib.models.assets import ASSET_STATUSES
from chalicelib.schemas.common import PageQuery, Schema, Strict, one_line, one_line_check

MAX_ATTRIBUTES, MAX_ATTRIBUTE_KEY, MAX_ATTRIBUTE_VALUE = 20, 64, 500


def check_attributes(attributes: dict[str, str]) -> dict[str, str]:
    """Custom attributes: string keys up to 64 and values up to 500 characters, one line each
    (they are shown in lists and the portal), at most 20; surrounding whitespace stripped."""
    if len(attributes) > MAX_ATTRIBUTES:
        raise ValueError(f"at most {MAX_ATTRIBUTES} attributes")
    cleaned: dict[str, str] = {}
    for key, value in attributes.items():
        key, value = one_line_check(key.strip()), one_line_check(value.strip())
        if not key or len(key) > MAX_ATTRIBUTE_KEY:
            raise ValueError(f"attribute names are 1 to {MAX_ATTRIBUTE_KEY} characters")
        if len(value) > MAX_ATTRIBUTE_VALUE:
            raise ValueError(f"attribute values are at most {MAX_ATTRIBUTE_VALUE} characters")
        cleaned[key] = value
    return cleaned


Name = one_line(200)
Type = one_line(100)
Serial = one_line(200)
Notes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Status = Literal[ASSET_STATUSES]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Attributes = Annotated[dict[str, str], Field(max_length=MAX_ATTRIBUTES), AfterValidator(check_attributes)]
DATES = "ISO date (YYYY-MM-DD)."


class AssetCreate(Strict):
    organization_id: Id
    client_id: Id | None = Field(None, description="The client it is assigned to (of the same organization).")
    name: Name
    type: Type | None = None
    serial: Serial | None = Field(None, description="Unique within the organization.")
    status: Status = "in_use"
    purchased_on: date | None = Field(None, description=DATES, strict=False)
    warranty_until: date | None = Field(None, description=DATES, strict=False)
    attributes: Attributes | None = Field(None, description="At most 20; keys up to 64, values up to 500 "
                                                            "characters, one line each.")
    internal_notes: Notes | None = None


class AssetUpdate(Strict):
    organization_id: Id | None = None
    client_id: Id | None = Field(None, description="Assign; null unassigns.")
    name: Name | None = None
    type: Type | None = None
    serial: Serial | None = Field(None, description="null removes it.")
    status: Status | None = Field(None, description="`retired` retires the asset.")
    purchased_on: date | None = Field(None, description=DATES, strict=False)
    warranty_until: date | None = Field(None, description=DATES, strict=False)
    attributes: Attributes | None = Field(None, description="Replaces them all.")
    internal_notes: Notes | None = None
    version: int | None = Field(None, ge=0, description="The version you read; a stale one is 409.")


class AssetListQuery(PageQuery):
    organization_id: str | None = Field(None, max_length=64)
    client_id: str | None = Field(None, max_length=64)
    serial: str | None = Field(None, max_length=200, description="Exact serial number.")


class PortalAsset(Schema):
    id: str
    organization_id: str
    client_id: str | None
    name: str
    type: str | None
    serial: str | None
    status: Status
    purchased_on: str | None
    warranty_until: str | None
    attributes: dict[str, str]
    created_at: str | None
    updated_at: str | None


class Asset(PortalAsset):
    internal_notes: str | None
    version: int


class AssetPage(Schema):
    items: list[Asset]
    next_cursor: str | None


class PortalAssetPage(Schema):
    items: list[PortalAsset]
    next_cursor: str | None
