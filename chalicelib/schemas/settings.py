from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator

from chalicelib.schemas.common import Email, Schema, Strict, one_line
from chalicelib.services.attachments import type_problem

MAX_UPLOAD_MB = 1024  # a presigned POST allows 5 GB; a helpdesk has no use for more than this
# Each file adds two items to the TransactWrite that creates its ticket or note (limit: 100).
MAX_UPLOAD_FILES = 20

CategoryName = one_line(100)


def _normalise_cidrs(values: list[str]) -> list[str]:
    networks = []
    for value in values:
        try:
            networks.append(str(ipaddress.ip_network(value.strip(), strict=False)))
        except ValueError:
            raise ValueError(f"'{value}' is not an IPv4 or IPv6 CIDR range") from None
    return list(dict.fromkeys(networks))


class SettingsUpdate(Strict):
    portal_enabled: bool | None = None
    self_signup: bool | None = None
    allow_all_ips: bool | None = None
    ip_allowlist: list[str] | None = Field(None, max_length=200)
    allow_client_rating: bool | None = None
    activation_ttl_hours: int | None = Field(None, ge=1, le=24 * 90)
    invitation_reminder_days: list[int] | None = Field(None, max_length=10)
    agents_email: Email | None = None
    client_admin_invites_per_hour: int | None = Field(None, ge=1, le=1000, description=(
        "Colleague invitations one client admin may send an hour (their organization: 50 an hour in all)."))
    upload_max_mb: int | None = Field(None, ge=1, le=MAX_UPLOAD_MB, description="Size limit per file, in MB.")
    upload_max_files: int | None = Field(None, ge=1, le=MAX_UPLOAD_FILES, description="Files per ticket or note.")
    upload_types: list[str] | None = Field(None, max_length=100, description="Allowed MIME types; never one a "
                                           "browser runs (HTML, SVG, scripts, XML).")
    client_2fa: Literal["off", "optional", "required"] | None = Field(
        None, description="Two-factor sign-in for clients: off, optional (a client may turn it on) or required.")
    email_unknown_senders: Literal["reject", "create_client"] | None = Field(
        None, description="Mail to the support address from an unknown sender: reject (logged, nothing sent back) "
        "or create_client (an inactive client, no invitation, and the ticket).")
    email_in_per_sender_hour: int | None = Field(None, ge=1, le=1000, description=(
        "Inbound messages one sender may turn into tickets or notes an hour (a mail loop stops itself)."))
    ticket_categories: list[CategoryName] | None = Field(
        None, max_length=100, description="The categories a ticket may have; empty: any category (free text).")
    portal_name: str | None = Field(None, max_length=80, pattern=r"^[^\x00-\x1f<>]*$",
                                    description="Shown by the portal page and in mail; empty: the default.")
    logo_url: str | None = Field(None, max_length=500, pattern=r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s\"'<>()\\]*)?$",
                                 description="An https image URL; the page's CSP allows its origin for images only.")
    accent_color: str | None = Field(None, pattern=r"^#[0-9A-Fa-f]{6}$", description="#rrggbb")
    version: int | None = Field(None, description="Optimistic lock: the version you read.")

    @field_validator("ip_allowlist")
    @classmethod
    def _cidrs(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _normalise_cidrs(value)

    @field_validator("upload_types")
    @classmethod
    def _types(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        cleaned = [v.strip().lower() for v in value]
        for content_type in cleaned:
            problem = type_problem(content_type)
            if problem:
                raise ValueError(f"'{content_type[:100]}': {problem}")
        return list(dict.fromkeys(cleaned))

    @field_validator("ticket_categories")
    @classmethod
    def _categories(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else list(dict.fromkeys(value))  # in the order given, once each

    @field_validator("invitation_reminder_days")
    @classmethod
    def _days(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return None
        if any(day < 1 or day > 90 for day in value):
            raise ValueError("each reminder is 1 to 90 days after the invitation")
        return sorted(set(value))


class Settings(Schema):
    portal_enabled: bool
    self_signup: bool
    allow_all_ips: bool
    ip_allowlist: list[str]
    allow_client_rating: bool
    activation_ttl_hours: int
    invitation_reminder_days: list[int]
    agents_email: str | None
    client_admin_invites_per_hour: int
    upload_max_mb: int
    upload_max_files: int
    upload_types: list[str]
    client_2fa: str
    email_unknown_senders: str
    email_in_per_sender_hour: int
    ticket_categories: list[str]
    portal_name: str | None = None
    logo_url: str | None = None
    accent_color: str | None = None
    updated_at: str | None
    updated_by: str | None
    version: int
