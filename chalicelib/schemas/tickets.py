"""Request and answer bodies of tickets, notes and ratings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.models.tickets import PRIORITIES, STATUSES, TicketStatus
from chalicelib.schemas.attachments import MAX_ATTACHMENTS, Attachment, UploadId
from chalicelib.schemas.common import Identifier, PageQuery, Query, Schema, Strict, one_line

Subject = one_line(200)
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
Category = one_line(100)
Username = one_line(128)
Status = Literal[STATUSES]
Priority = Literal[PRIORITIES]


AssetId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


def _attachments() -> Any:
    return Field(None, max_length=MAX_ATTACHMENTS, description="Upload ids of the caller's own uploads "
                 "(POST .../uploads) to attach, each once; at most the setting upload_max_files.")


class PortalTicketCreate(Strict):
    subject: Subject
    description: Text
    priority: Priority | None = None
    category: Category | None = None
    attachments: list[UploadId] | None = _attachments()
    asset_id: AssetId | None = Field(None, description="One of my assets (GET /portal/assets).")


class PortalTicketUpdate(Strict):
    subject: Subject | None = None
    description: Text | None = None
    priority: Priority | None = None


class PortalTicketListQuery(PageQuery):
    scope: Literal["own", "organization"] = "own"
    status: Status | None = None


class AgentTicketCreate(Strict):
    requester_id: one_line(64) = Field(description="The client the ticket is for.")
    subject: Subject
    description: Text
    priority: Priority | None = None
    category: Category | None = None
    status: Status = TicketStatus.NEW
    assignees: list[Username] | None = Field(None, max_length=20, description="Agent usernames.")
    attachments: list[UploadId] | None = _attachments()
    asset_id: AssetId | None = Field(None, description="An asset of the requester's organization.")


class AgentTicketUpdate(Strict):
    status: Status | None = None
    priority: Priority | None = None
    category: Category | None = None
    assignees: list[Username] | None = Field(None, max_length=20, description="Agent usernames (manage-tickets).")
    block_client_view: bool | None = Field(None, description="Hide the ticket from clients (manage-tickets).")
    cc: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] | None = Field(
        None, max_length=10, description="Client ids of the requester's organization to CC (replaces the list; "
                                         "manage-tickets): they see the ticket in their list and get its mail.")
    version: int | None = Field(None, ge=0, description="The version you read; a stale one is 409.")


class AgentTicketListQuery(PageQuery):
    status: Status | None = None
    assignee: one_line(128, min_length=0) | None = None
    organization_id: Identifier | None = None
    requester_id: Identifier | None = None


WatchEvent = Literal["public_reply", "status", "resolved"]


class WatchUpdate(Strict):
    events: list[WatchEvent] = Field(min_length=1, max_length=3, description="Which events mail you: every "
                                     "public reply, status changes, the resolution.")


class Watching(Schema):
    events: list[WatchEvent]
    cc: bool = Field(description="An agent CC'd you: you also get the mail the requester gets.")


class PortalNoteCreate(Strict):
    body: Text
    attachments: list[UploadId] | None = _attachments()


class AgentNoteCreate(Strict):
    body: Text
    internal: bool = False
    notify_contact: bool | None = None
    notify_assignees: bool | None = None
    attachments: list[UploadId] | None = _attachments()


class RatingCreate(Strict):
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=2000)


class RatingsQuery(Query):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    since: datetime | None = Field(None, alias="from")
    until: datetime | None = Field(None, alias="to")


class Person(Schema):
    id: str | None
    name: str | None
    email: str | None


class Rating(Schema):
    score: int
    comment: str | None
    rated_at: str | None


class TicketAsset(Schema):
    id: str
    name: str | None = Field(description="The asset's name when the ticket was opened.")


class Ticket(Schema):
    number: int
    subject: str
    description: str
    status: Status
    priority: Priority
    category: str | None
    requester: Person
    organization_id: str | None
    public_note_count: int
    created_at: str | None
    updated_at: str | None
    resolved_at: str | None
    rating: Rating | None
    editable: bool
    attachments: list[Attachment] = []
    watching: Watching | None = Field(None, description="Yours (clients): what mails you; null when not "
                                                        "watching (agents: always null).")
    asset: TicketAsset | None = None


class AgentTicket(Ticket):
    assignees: list[str]
    block_client_view: bool
    cc: list[str] = Field(default_factory=list, description="CC'd client ids.")
    watchers: dict[str, list[WatchEvent]] = Field(default_factory=dict, description="Client id -> events.")
    created_by: str | None
    version: int


class NoteAuthor(Schema):
    kind: Literal["client", "agent"]
    name: str | None
    id: str | None = None


class Note(Schema):
    id: str
    ticket_number: int
    author: NoteAuthor
    body: str
    created_at: str | None
    attachments: list[Attachment] = []


class AgentNote(Note):
    internal: bool
    notify_contact: bool | None
    notify_assignees: bool | None


class TicketWithNotes(Ticket):
    notes: list[Note]
    next_notes_cursor: str | None = Field(None, description="More notes: GET /portal/tickets/{number}/notes?cursor=")


class NotePage(Schema):
    items: list[Note]
    next_cursor: str | None


class TicketPage(Schema):
    items: list[Ticket]
    next_cursor: str | None


class AgentTicketPage(Schema):
    items: list[AgentTicket]
    next_cursor: str | None


class AgentNotePage(Schema):
    items: list[AgentNote]
    next_cursor: str | None


class AgentRating(Schema):
    agent: str  # the Cognito username
    name: str | None  # None: no name set, or the agent left the pool
    email: str | None
    count: int
    average: float


class TeamRating(Schema):
    count: int
    average: float | None


class RatingsReport(Schema):
    agents: list[AgentRating]
    team: TeamRating
    from_: str | None = Field(None, alias="from")
    to: str | None
