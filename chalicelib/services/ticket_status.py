"""What a ticket's status allows (product.md §3-4), as one table, and what entering a status does.

Read a row as: in this status, may the client still edit the ticket, where does a client's
reply take it (None: the reply is refused), where does an agent's public reply take it (an
internal note never moves a ticket; the move itself mails nobody), may the requester rate it,
may an agent set it, and what setting it does to the resolution. Agents set any status from any status; the
services ask these functions and never compare status names themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.models.tickets import TicketStatus

# What entering a status does to the ticket's resolution (`resolved_at`, the assignees who
# answer for its rating, the "resolved" mail).
RESOLVES = "resolves"  # stamp resolved_at, record the assignees, mail the requester
CLEARS_RESOLUTION = "clears resolution"  # the ticket is being worked on again: no resolved_at
KEEPS_RESOLUTION = "keeps resolution"  # closing keeps whatever resolution the ticket had


@dataclass(frozen=True)
class StatusRule:
    client_may_edit: bool
    client_reply_leads_to: str | None
    agent_public_reply_leads_to: str
    may_be_rated: bool
    agent_may_set: bool
    on_enter: str


TRANSITIONS: dict[str, StatusRule] = {
    # status:   StatusRule(client edits, client reply leads to, agent public reply leads to, rated, agent sets,
    #                      entering it)
    TicketStatus.NEW:      StatusRule(True,  TicketStatus.NEW,  TicketStatus.OPEN,     False, True, CLEARS_RESOLUTION),
    TicketStatus.OPEN:     StatusRule(True,  TicketStatus.OPEN, TicketStatus.OPEN,     False, True, CLEARS_RESOLUTION),
    TicketStatus.PENDING:  StatusRule(True,  TicketStatus.OPEN, TicketStatus.PENDING,  False, True, CLEARS_RESOLUTION),
    TicketStatus.RESOLVED: StatusRule(False, TicketStatus.OPEN, TicketStatus.RESOLVED, True,  True, RESOLVES),
    TicketStatus.CLOSED:   StatusRule(False, None,              TicketStatus.CLOSED,   True,  True, KEEPS_RESOLUTION),
    # (closed: a client opens a new ticket instead)
}

# The statuses a rating may be given in, for the write's condition (the status may change
# between the read and the write).
RATABLE = tuple(status for status, rule in TRANSITIONS.items() if rule.may_be_rated)


def client_may_edit(status: str) -> bool:
    """Subject, description and priority, by the requester; also the view's `editable`."""
    return TRANSITIONS[status].client_may_edit


def after_client_reply(status: str) -> str | None:
    """The status a client's reply leaves the ticket in; None when the reply is refused."""
    return TRANSITIONS[status].client_reply_leads_to


def after_agent_public_reply(status: str) -> str:
    """The status an agent's public reply leaves the ticket in: a new ticket is being worked on."""
    return TRANSITIONS[status].agent_public_reply_leads_to


def may_be_rated(status: str) -> bool:
    return TRANSITIONS[status].may_be_rated


def agent_may_set(status: str) -> bool:
    return status in TRANSITIONS and TRANSITIONS[status].agent_may_set


def on_enter(status: str) -> str:
    """What changing a ticket to `status` does to its resolution (RESOLVES, CLEARS_RESOLUTION,
    KEEPS_RESOLUTION). A ticket created in a status gets resolved_at only (no mail, no rating
    assignees): nobody was working on it."""
    return TRANSITIONS[status].on_enter
