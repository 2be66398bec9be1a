from __future__ import annotations

from pydantic import Field

from chalicelib.schemas.common import PageQuery, Schema, Strict, one_line

OrganizationName = one_line(200)


class OrganizationCreate(Strict):
    name: OrganizationName
    domain: str | None = Field(None, max_length=253, pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
    notes: str | None = Field(None, max_length=2000)
    portal_enabled: bool = Field(True, description="false: the organization's clients cannot use the portal.")
    join_by_domain: bool = Field(False, description="A verified self-sign-up from `domain` joins the organization.")
    require_2fa: bool = Field(False, description="Its clients need a second factor to log in.")


class OrganizationUpdate(Strict):
    name: OrganizationName | None = None
    domain: str | None = Field(None, max_length=253, pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
    notes: str | None = Field(None, max_length=2000)
    portal_enabled: bool | None = Field(None, description="false: refused at log-in and on every session route.")
    join_by_domain: bool | None = None
    require_2fa: bool | None = None


class OrganizationListQuery(PageQuery):
    q: one_line(200, min_length=0) | None = Field(None, description="Name prefix, case-insensitive.")


class Organization(Schema):
    id: str
    name: str
    domain: str | None
    notes: str | None
    require_2fa: bool
    created_at: str | None
    updated_at: str | None
    portal_enabled: bool
    join_by_domain: bool


class OrganizationPage(Schema):
    items: list[Organization]
    next_cursor: str | None
