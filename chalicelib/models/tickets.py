"""The tickets table: tickets, the number counter, and assignment items.

  - `<number>`                 a ticket (kind = "ticket"), e.g. "1042";
  - `counter`                  the next ticket number, incremented atomically (UpdateItem ADD);
  - `assign#<number>#<agent>`  one per assignee, so agents' queues are a Query by assignee
                               (DynamoDB cannot index the elements of a list).
  - `cc#<number>#<client>`     one per CC'd client (kind = "cc"): it carries that client as
                               `requester_id` with the ticket's client activity, status key and
                               block flag, so it sits in the requester indexes beside the client's
                               own tickets: "my tickets" (product.md §2) is still one Query, then
                               one BatchGet for the CC'd tickets. Rewritten, like assignment items,
                               by every write that moves the ticket in a client's list.

A ticket also carries its CC list (`cc`, client ids: what visibility reads) and its watchers
(`watchers`, client id -> the events they chose, comma-separated): the ticket's answer, its
visibility and its mail need no other read than the one of the ticket (and, for mail, one
BatchGet of those clients' accounts).

Lists read one index, newest activity first; an agent's queue is ordered by ticket number,
newest first. Two activity times (ISO time#number keys):
  - `activity_at`: the last change of any kind, internal notes and agent-only changes
    included; it orders the agents' lists (all tickets, by status);
  - `client_activity_at`: the last change a client can see (creation, a public note, status,
    priority, category, subject, description); it orders the requester's and organization's
    indexes, which clients list (product.md §3: internal notes are never counted in anything
    a client sees). `client_updated_at` is the same time, the "updated" a client is shown.
A status filter within an organization or a requester reads its own index (`org_status`,
`requester_status`: "<id>#<status>"), never the closed history a filter expression would
page through.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.models.attachments import FileRef
from chalicelib.models.base import UTCDateTime, index_meta, table_meta
from chalicelib.models.shards import sharded

TICKET_KIND = "ticket"
ASSIGNMENT_KIND = "assignment"
CC_KIND = "cc"
COUNTER_ID = "counter"
FIRST_NUMBER = 1001
RATED = "rated"


class TicketStatus:
    """A ticket's status (product.md §3), as stored and as the API spells it. What each one
    allows is the table in services/ticket_status.py."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED)
PRIORITIES = ("low", "normal", "high", "urgent")
DEFAULT_PRIORITY = "normal"


# What the lists' index entries carry (the tickets themselves are read in one BatchGet, so a
# note or a status change does not copy the description, assignee emails and files into every
# index): the agents' lists nothing but keys; the clients' lists what their Query filters on
# (block_client_view; organization_id for an agent's requester list within an organization;
# created_by and created_at for the knowledge base's deflection check; kind and ticket_number
# tell a CC link item from a ticket and name its ticket, services/ticket_reads.py).
CLIENT_LIST_PROJECTION = ("kind", "ticket_number", "block_client_view", "organization_id", "created_by",
                          "created_at")


class TicketsByKind(GlobalSecondaryIndex):
    """Every ticket, newest activity first, over PORTICO_INDEX_SHARDS shards (models/shards.py)."""

    Meta = index_meta("by_kind_shard_activity", KeysOnlyProjection())
    kind_shard = UnicodeAttribute(hash_key=True)  # "ticket#<shard>"
    activity_at = UnicodeAttribute(range_key=True)


class TicketsByRequester(GlobalSecondaryIndex):
    Meta = index_meta("by_requester_client_activity_v2", IncludeProjection(list(CLIENT_LIST_PROJECTION)))
    requester_id = UnicodeAttribute(hash_key=True)
    client_activity_at = UnicodeAttribute(range_key=True)


class TicketsByOrganization(GlobalSecondaryIndex):
    Meta = index_meta("by_organization_client_activity_v2", IncludeProjection(list(CLIENT_LIST_PROJECTION)))
    organization_id = UnicodeAttribute(hash_key=True)
    client_activity_at = UnicodeAttribute(range_key=True)


class TicketsByStatus(GlobalSecondaryIndex):
    """The tickets in one status, newest activity first, over PORTICO_INDEX_SHARDS shards."""

    Meta = index_meta("by_status_shard_activity", KeysOnlyProjection())
    status_shard = UnicodeAttribute(hash_key=True)  # "<status>#<shard>"
    activity_at = UnicodeAttribute(range_key=True)


class TicketsByOrganizationStatus(GlobalSecondaryIndex):
    Meta = index_meta("by_org_status_client_activity_v2", IncludeProjection(list(CLIENT_LIST_PROJECTION)))
    org_status = UnicodeAttribute(hash_key=True)
    client_activity_at = UnicodeAttribute(range_key=True)


class TicketsByRequesterStatus(GlobalSecondaryIndex):
    Meta = index_meta("by_requester_status_client_activity_v2", IncludeProjection(list(CLIENT_LIST_PROJECTION)))
    requester_status = UnicodeAttribute(hash_key=True)
    client_activity_at = UnicodeAttribute(range_key=True)


class TicketsByAsset(GlobalSecondaryIndex):
    """Sparse: only tickets naming an asset carry `asset_id`; an asset's tickets, newest first."""

    Meta = index_meta("by_asset_number")
    asset_id = UnicodeAttribute(hash_key=True)
    number = NumberAttribute(range_key=True)


class AssignmentsByAgent(GlobalSecondaryIndex):
    """Assignment items only: an agent's queue; the tickets are then read in one BatchGet."""

    Meta = index_meta("by_assignee_number", KeysOnlyProjection())
    assignee = UnicodeAttribute(hash_key=True)
    ticket_number = NumberAttribute(range_key=True)


class AssignmentsByAgentStatus(GlobalSecondaryIndex):
    """Assignment items by "<agent>#<ticket status>": an agent's open queue, without paging
    through their closed tickets. Every status write rewrites the ticket's assignment items."""

    Meta = index_meta("by_assignee_status_number", KeysOnlyProjection())
    assignee_status = UnicodeAttribute(hash_key=True)
    ticket_number = NumberAttribute(range_key=True)


class RatedTickets(GlobalSecondaryIndex):
    """Sparse: only rated tickets carry `rated`; the ratings report reads these only."""

    # What the report adds up, not whole tickets (a rated ticket's later notes would copy them).
    Meta = index_meta("rated_by_time_v2", IncludeProjection(["rating_score", "rated_assignees", "assignees"]))
    rated = UnicodeAttribute(hash_key=True)
    rated_at_key = UnicodeAttribute(range_key=True)


class TicketModel(Model):
    Meta = table_meta("tickets")

    id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(null=True)
    number = NumberAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    priority = UnicodeAttribute(null=True)
    category = UnicodeAttribute(null=True)
    requester_id = UnicodeAttribute(null=True)
    requester_name = UnicodeAttribute(null=True)
    requester_email = UnicodeAttribute(null=True)
    organization_id = UnicodeAttribute(null=True)
    asset_id = UnicodeAttribute(null=True)  # the asset the ticket is about (product.md §10)
    asset_name = UnicodeAttribute(null=True)  # its name when the ticket was opened: lists read no asset
    assignees = ListAttribute(of=UnicodeAttribute, null=True)  # agent usernames
    assignee_emails = MapAttribute(null=True)  # username -> email, for notifications
    block_client_view = BooleanAttribute(null=True)
    created_by = UnicodeAttribute(null=True)  # "client:<id>" or "agent:<username>"
    public_notes = NumberAttribute(null=True)  # what a client may see counted
    rating_score = NumberAttribute(null=True)
    rating_comment = UnicodeAttribute(null=True)
    rated_at = UTCDateTime(null=True)
    rated = UnicodeAttribute(null=True)
    rated_at_key = UnicodeAttribute(null=True)
    rated_assignees = ListAttribute(of=UnicodeAttribute, null=True)  # assignees at resolution
    cc = ListAttribute(of=UnicodeAttribute, null=True)  # CC'd client ids (the requester's organization)
    watchers = MapAttribute(null=True)  # client id -> "public_reply,status,resolved" (the events chosen)
    created_at = UTCDateTime(null=True)
    updated_at = UTCDateTime(null=True)
    resolved_at = UTCDateTime(null=True)
    activity_at = UnicodeAttribute(null=True)  # any change (agents' lists)
    client_activity_at = UnicodeAttribute(null=True)  # a change a client sees (clients' lists)
    client_updated_at = UTCDateTime(null=True)  # its time: the "updated" a client is shown
    org_status = UnicodeAttribute(null=True)  # status_key(organization_id, status); none without organization
    requester_status = UnicodeAttribute(null=True)  # status_key(requester_id, status)
    kind_shard = UnicodeAttribute(null=True)  # the agents' all-tickets index key (ticket_shard_keys)
    status_shard = UnicodeAttribute(null=True)  # the agents' by-status index key (ticket_shard_keys)
    version = VersionAttribute(null=True)
    attachments = ListAttribute(of=FileRef, null=True)  # files bound to it (models/attachments.py)

    # counter
    next_number = NumberAttribute(null=True)

    # assignment
    assignee = UnicodeAttribute(null=True)
    ticket_number = NumberAttribute(null=True)
    assignee_status = UnicodeAttribute(null=True)  # status_key(assignee, the ticket's status)

    by_kind_activity = TicketsByKind()
    by_requester_client_activity = TicketsByRequester()
    by_organization_client_activity = TicketsByOrganization()
    by_status_activity = TicketsByStatus()
    by_org_status_client_activity = TicketsByOrganizationStatus()
    by_requester_status_client_activity = TicketsByRequesterStatus()
    by_assignee_number = AssignmentsByAgent()
    by_assignee_status_number = AssignmentsByAgentStatus()
    rated_by_time = RatedTickets()
    by_asset_number = TicketsByAsset()

    def serialize(self, null_check: bool = True) -> dict:
        # A ticket saved whole always carries its shard keys, whoever wrote it (a seed, a
        # backfill); updates set them with the status (ticket_writes.status_actions).
        if self.kind == TICKET_KIND and self.id and self.id.isdigit():
            self.kind_shard, self.status_shard = ticket_shard_keys(self.id, self.status)
        return super().serialize(null_check=null_check)


def status_key(owner_id: str | None, status: str | None) -> str | None:
    """The hash key of a ticket in an organization's or a requester's status index."""
    return f"{owner_id}#{status}" if owner_id and status else None


def ticket_shard_keys(number: str, status: str | None) -> tuple[str, str | None]:
    """(kind_shard, status_shard) of ticket `number`: its shard is derived from its number."""
    return sharded(TICKET_KIND, number), (sharded(status, number) if status else None)


def assignment_id(number: int, username: str) -> str:
    return f"assign#{number}#{username}"


class AssignmentModel(Model):
    """An assignment item in the tickets table. Its own model because assignment items are
    written (again when the ticket's status changes) and deleted, without the tickets'
    optimistic-locking version."""

    Meta = table_meta("tickets")

    id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(null=True)
    assignee = UnicodeAttribute(null=True)
    ticket_number = NumberAttribute(null=True)
    assignee_status = UnicodeAttribute(null=True)

    by_assignee_number = AssignmentsByAgent()
    by_assignee_status_number = AssignmentsByAgentStatus()


def cc_link_id(number: int, client_id: str) -> str:
    return f"cc#{number}#{client_id}"


class CcLinkModel(Model):
    """A CC link item in the tickets table (see the module's docstring): in the CC'd client's
    requester indexes, unversioned, rewritten whole whenever the ticket moves in client lists."""

    Meta = table_meta("tickets")

    id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(null=True)
    ticket_number = NumberAttribute(null=True)
    requester_id = UnicodeAttribute(null=True)  # the CC'd client
    requester_status = UnicodeAttribute(null=True)
    client_activity_at = UnicodeAttribute(null=True)
    block_client_view = BooleanAttribute(null=True)

    by_requester_client_activity = TicketsByRequester()
    by_requester_status_client_activity = TicketsByRequesterStatus()
