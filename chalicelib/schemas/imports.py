"""CSV imports (product.md §10): the request, the job's answer, and one row of each kind as
the import checks it (the same limits as creating one by hand)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field

from chalicelib.schemas.assets import Attributes, Name, Notes, Serial, Status, Type
from chalicelib.schemas.clients import Name as ClientName
from chalicelib.schemas.clients import Phone, Role
from chalicelib.schemas.common import Email, Schema, Strict, one_line

MAX_INLINE_CSV = 200 * 1024
OrganizationRef = one_line(200)


class ImportCreate(Strict):
    kind: Literal["clients", "assets"]
    csv: str | None = Field(None, max_length=MAX_INLINE_CSV, description=(
        "The CSV itself, at most 200 KB: a header row, then at most 10,000 rows. Clients: email, name, phone, "
        "organization (name or id), role. Assets: organization, name, serial, type, status, purchased_on, "
        "warranty_until, client (email), internal_notes, attribute:<name>..."))
    upload_id: str | None = Field(None, max_length=64, description="An upload holding the CSV (POST /agent/uploads).")
    dry_run: bool = Field(False, description="Check every row and report its problems; write nothing.")
    send_invitations: bool = Field(False, description="Clients: invite those created (through the outbox).")


class ImportStarted(Schema):
    id: str
    status: Literal["running", "done"]


class ImportProblem(Schema):
    row: int = Field(description="The row's record number in the file (the header is 1); 0: the whole file.")
    field: str | None
    message: str


class ImportStatus(Schema):
    id: str
    kind: Literal["clients", "assets"]
    status: Literal["running", "done"]
    dry_run: bool
    send_invitations: bool
    rows: int
    created: int
    updated: int
    skipped: int
    problems: list[ImportProblem]
    created_at: str | None
    finished_at: str | None


class _Row(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ClientRow(_Row):
    email: Email
    name: ClientName | None = None
    phone: Phone | None = None
    organization: OrganizationRef | None = None
    role: Role | None = None


class AssetRow(_Row):
    organization: OrganizationRef
    name: Name
    serial: Serial
    type: Type | None = None
    status: Status | None = None
    purchased_on: date | None = None
    warranty_until: date | None = None
    client: Email | None = None
    internal_notes: Notes | None = None
    attributes: Attributes | None = None
