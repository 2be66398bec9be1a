"""What a ticket's status allows (product.md §3-4), as one table: services/ticket_status.py,
and which agent may change what: ticket_writes.AGENT_CHANGE_PERMISSIONS. No AWS."""

from __future__ import annotations

import pytest

from chalicelib.errors import Forbidden, InvalidInput
from chalicelib.identity import ActingAgent
from chalicelib.models.tickets import STATUSES
from chalicelib.services import ticket_status
from chalicelib.services.ticket_status import CLEARS_RESOLUTION, KEEPS_RESOLUTION, RESOLVES


@pytest.mark.parametrize("status, client_edits, client_reply_leads_to, agent_reply_leads_to, rated, entering", [
    ("new", True, "new", "open", False, CLEARS_RESOLUTION),  # an agent's public reply starts the work
    ("open", True, "open", "open", False, CLEARS_RESOLUTION),
    ("pending", True, "open", "pending", False, CLEARS_RESOLUTION),  # a client's reply reopens it
    ("resolved", False, "open", "resolved", True, RESOLVES),  # reopens it too; rated; entering it mails the requester
    ("closed", False, None, "closed", True, KEEPS_RESOLUTION),  # takes no reply: open a new ticket
])
def test_what_each_status_allows(status, client_edits, client_reply_leads_to, agent_reply_leads_to, rated, entering):
    assert ticket_status.client_may_edit(status) is client_edits
    assert ticket_status.after_client_reply(status) == client_reply_leads_to
    assert ticket_status.after_agent_public_reply(status) == agent_reply_leads_to
    assert ticket_status.may_be_rated(status) is rated
    assert ticket_status.on_enter(status) == entering


def test_every_status_has_a_row_and_agents_set_any_of_them():
    assert tuple(ticket_status.TRANSITIONS) == STATUSES
    assert all(ticket_status.agent_may_set(status) for status in STATUSES)
    assert not ticket_status.agent_may_set("archived")
    assert ticket_status.RATABLE == ("resolved", "closed")


AGENT = ActingAgent("ann", None, frozenset())
MANAGER = ActingAgent("max", None, frozenset({"manage-tickets"}))
ADMIN = ActingAgent("ada", None, frozenset({"admins"}))


@pytest.mark.parametrize("changes, agent_may, manager_may", [
    ({"status": "resolved", "priority": "high", "category": "Network"}, True, True),
    ({"category": None, "assignees": None, "block_client_view": None}, True, True),  # nothing asked
    ({"assignees": ["max"]}, False, True),
    ({"assignees": []}, False, True),  # unassigning is assigning
    ({"block_client_view": True}, False, True),
    ({"block_client_view": False}, False, True),
    ({"cc": ["c1"]}, False, True),  # who sees the ticket beyond the requester, as blocking
    ({"cc": []}, False, True),  # removing every CC is setting it
    ({"cc": None}, True, True),
])
def test_which_agent_may_change_what(changes, agent_may, manager_may):
    from chalicelib.services.ticket_writes import authorize_agent_changes

    for agent, may in ((AGENT, agent_may), (MANAGER, manager_may), (ADMIN, True)):
        if may:
            authorize_agent_changes(agent, changes)
        else:
            with pytest.raises(Forbidden):
                authorize_agent_changes(agent, changes)


def test_a_status_outside_the_table_is_refused():
    from chalicelib.services.ticket_writes import authorize_agent_changes

    with pytest.raises(InvalidInput):
        authorize_agent_changes(ADMIN, {"status": "archived"})
