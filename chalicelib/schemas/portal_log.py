"""The client portal log as agents read it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from chalicelib.schemas.common import PageQuery, Schema

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PortalLogQuery(PageQuery):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=False)

    client_id: str | None = Field(None, max_length=64, pattern=r"^[0-9A-Za-z]+$",
                                  description="Only this client's events.")
    since: datetime | None = Field(None, alias="from", description="Earliest time (ISO 8601; a date means its "
                                                                     "start; no zone means UTC).")
    until: datetime | None = Field(None, alias="to", description="Latest time, inclusive (a date means the "
                                                                 "whole day).")

    @field_validator("since", "until", mode="before")
    @classmethod
    def _whole_days(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and _DAY.match(value.strip()):
            day = date.fromisoformat(value.strip())
            if info.field_name == "until":
                return datetime.combine(day, time.max, UTC)
            return datetime.combine(day, time(), UTC)
        return value

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        try:
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except (OverflowError, ValueError):  # e.g. year 1 at +05:00 is before year 1 in UTC
            raise ValueError("out of range") from None

    @field_validator("until")
    @classmethod
    def _ordered(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        since = info.data.get("since")
        if value is not None and since is not None and value < since:
            raise ValueError("must not be before `from`")
        return value


class PortalLogEntry(Schema):
    at: str
    event: Literal["login", "activation", "password_reset", "impersonation", "write_refused",
                   "session_refused", "mfa_sent", "mfa_passed", "mfa_failed", "mfa_locked"] = Field(
        description="`write_refused`: a change tried with a read-only session (an agent viewing as the client); "
                    "`session_refused`: a session's request refused because its organization's portal is off.")
    outcome: Literal["success", "failure"]
    reason: str | None = Field(description="Why it failed: wrong_password, unknown_email, not_active, "
                                           "account_disabled, email_not_verified, throttled, portal_blocked (the "
                                           "portal switch or IP allowlist refused a login), token_expired, "
                                           "token_used, password_rejected, read_only. More precise than the "
                                           "answer: a disabled or unverified account's login was answered 401 "
                                           "invalid_credentials with a message saying why.")
    client_id: str | None
    email: str | None = Field(description="The client's email, or the address typed on a login attempt that "
                                          "matched no account.")
    ip: str | None
    user_agent: str | None
    agent: str | None = Field(description="The agent who logged in as the client (impersonation).")


class PortalLogPage(Schema):
    items: list[PortalLogEntry]
    next_cursor: str | None


class Impersonation(Schema):
    client_id: str
    token: str = Field(description="A read-only portal session token (`Authorization: Bearer <token>`); every "
                                   "write with it is 403 `read_only`.")
    expires_at: str = Field(description="15 minutes from now.")
    portal_url: str = Field(description="`<portal>/impersonate#token=<token>`: opens the portal as the client.")
