"""What a client may see and be told (product.md §1, §3): the one owner of these rules, as
small pure functions of the caller and the item. Agents see everything; for a client (an
`ActingClient`, also an agent looking on through impersonation):

  item          a client sees it when
  ------------  ------------------------------------------------------------------------------
  ticket        it is not blocked from client view, and it is theirs (the requester), they are
                CC'd on it and still in its organization, or, for a client admin, it is their
                organization's
  note          its ticket is visible (checked first) and the note is not internal
  file          its ticket is visible and, on a note, the note is (`file.internal` is its note's
                flag, copied when the file was bound): never a file of an internal note or of a
                blocked ticket
  ticket mail   the requester is active, the ticket is not blocked, the note is not internal
  agent fields  never: assignees, the block flag, note options, the agents' "updated"
  kb article    published and `public` (also without a session), `clients`, or `organizations`
                listing theirs (`article_visible`; the search index filters with the same rule)
  asset         assigned to them, or, for a client admin, their organization's (never its notes)

Invisible is 404, never 403, in lists too (the services raise NotFound or filter).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from chalicelib.identity import ActingAgent, ActingClient, Caller, TicketRequester

if TYPE_CHECKING:
    from chalicelib.models.assets import AssetModel
    from chalicelib.models.attachments import AttachmentModel
    from chalicelib.models.notes import NoteModel
    from chalicelib.models.tickets import TicketModel


def sees_internals(caller: Caller) -> bool:
    """Agents: internal notes, assignees, the block flag, every change as "updated"."""
    return isinstance(caller, ActingAgent)


def ticket_visible(caller: Caller, ticket: TicketModel) -> bool:
    if sees_internals(caller):
        return True
    if ticket.block_client_view:
        return False
    if ticket.requester_id == caller.id:
        return True
    if caller.id in (getattr(ticket, "cc", None) or []) and cc_still_colleague(caller.organization_id, ticket):
        return True
    return caller.is_client_admin and bool(caller.organization_id) and ticket.organization_id == caller.organization_id


def cc_still_colleague(client_organization_id: str | None, ticket: TicketModel) -> bool:
    """A CC'd client sees the ticket only while they are in its organization: CC is given to
    the requester's colleagues (watching.check_cc), and leaving the organization ends it."""
    return bool(client_organization_id) and client_organization_id == ticket.organization_id


def note_visible(caller: Caller, note: NoteModel) -> bool:
    """A note of a ticket the caller may see (the ticket is checked first)."""
    return sees_internals(caller) or not note.internal


def file_visible(caller: Caller, file: AttachmentModel, ticket: TicketModel | None) -> bool:
    """A file of `ticket` (a bound file item: services/attachments.py). Agents see every file:
    for them the ticket need not be read (None); for a client, no ticket is no file."""
    if sees_internals(caller):
        return True
    if ticket is None or file.ticket_number is None or int(file.ticket_number) != int(ticket.number):
        return False
    return ticket_visible(caller, ticket) and not file.internal


def organization_list_refusal(client: ActingClient) -> str | None:
    """Why `client` may not list their organization's tickets; None when they may."""
    if not client.is_client_admin:
        return "Only client admins see their organization's tickets."
    if not client.organization_id:
        return "Your account does not belong to an organization."
    return None


def client_may_be_mailed(requester: TicketRequester, *, blocked: bool, internal: bool = False) -> bool:
    """Any ticket mail to the requester: only an active client (identity.receives_notifications),
    never about a ticket blocked from client view, never an internal note."""
    return requester.reachable and not blocked and not internal


def article_readable(*, signed_in: bool, organization_id: str | None, visibility: str | None,
                     organization_ids: Iterable[str] | None) -> bool:
    """A published knowledge-base article (product.md §9) for a portal visitor: `public` for
    anyone past the portal gates, `clients` for any signed-in client, `organizations` for the
    clients of the listed organizations. Drafts are never readable in the portal."""
    if visibility == "public":
        return True
    if not signed_in:
        return False
    if visibility == "clients":
        return True
    return visibility == "organizations" and bool(organization_id) and organization_id in set(organization_ids or ())


def article_visible(caller: Caller | None, *, status: str | None, visibility: str | None,
                    organization_ids: Iterable[str] | None) -> bool:
    """Agents read every article, drafts included; a visitor (`None`) or a client reads
    published ones `article_readable` allows. Invisible is 404."""
    if isinstance(caller, ActingAgent):
        return True
    if status != "published":
        return False
    return article_readable(signed_in=caller is not None, organization_id=getattr(caller, "organization_id", None),
                            visibility=visibility, organization_ids=organization_ids)


def asset_visible(caller: Caller, asset: AssetModel) -> bool:
    """Assets (product.md §10): agents see every one; a client the assets assigned to them; a
    client admin every asset of their organization. `internal_notes` never reach a client
    (services/assets.py: asset_view)."""
    if sees_internals(caller):
        return True
    if asset.client_id and asset.client_id == caller.id:
        return True
    return caller.is_client_admin and bool(caller.organization_id) and asset.organization_id == caller.organization_id
