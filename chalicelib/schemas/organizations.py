from __future__ import annotations

from pydantic import BaseModel, Field

from chalicelib.schemas.common import PageQuery, Strict, one_line

OrganizationName = one_line(200)


class OrganizationCreate(Strict):
    name: OrganizationName
    domain: str | None = Field(None, max_length=253, pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
    notes: str | None = Field(None, max_length=2000)
    require_2fa: bool = Field(False, description="Its clients need a second factor to log in.")


class OrganizationUpdate(Strict):
    name: OrganizationName | None = None
    domain: str | None = Field(None, max_length=253, pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
    notes: str | None = Field(None, max_length=2000)
    require_2fa: bool | None = None


class OrganizationListQuery(PageQuery):
    q: one_line(200, min_length=0) | None = Field(None, description="Name prefix, case-insensitive.")


class Organization(BaseModel):
    id: str
    name: str
    domain: str | None
    notes: str | None
    require_2fa: bool
    created_at: str | None
    updated_at: str | None


class OrganizationPage(BaseModel):
    items: list[Organization]
    next_cursor: str | None
