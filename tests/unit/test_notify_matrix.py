"""Who gets a note's email (product.md §3), as a table."""

from __future__ import annotations

import pytest

from chalicelib.identity import TicketRequester as Requester
from chalicelib.services.notifications import note_recipients

REQUESTER = Requester("client-1", "rita@acme.test", "active")
ASSIGNEES = {"ann": "ann@helpdesk.test", "bob": "bob@helpdesk.test"}
SHARED = "agents@helpdesk.test"
BOTH_AGENTS = ("ann@helpdesk.test", "bob@helpdesk.test")


@pytest.mark.parametrize("author, notify_contact, notify_assignees, internal, blocked, requester, assignees, "
                         "client, agents", [
    # an agent's public note: the four option combinations
    ("zed", None, None, False, False, REQUESTER, ASSIGNEES, "rita@acme.test", BOTH_AGENTS),
    ("zed", False, False, False, False, REQUESTER, ASSIGNEES, "rita@acme.test", BOTH_AGENTS),
    ("zed", False, True, False, False, REQUESTER, ASSIGNEES, None, BOTH_AGENTS),
    ("zed", True, False, False, False, REQUESTER, ASSIGNEES, "rita@acme.test", ()),
    ("zed", True, True, False, False, REQUESTER, ASSIGNEES, "rita@acme.test", BOTH_AGENTS),
    # the author never gets their own note
    ("ann", None, None, False, False, REQUESTER, ASSIGNEES, "rita@acme.test", ("bob@helpdesk.test",)),
    # an internal note never reaches a client, whatever the options
    ("zed", None, None, True, False, REQUESTER, ASSIGNEES, None, BOTH_AGENTS),
    ("zed", True, False, True, False, REQUESTER, ASSIGNEES, None, ()),
    # a blocked ticket never mails the client
    ("zed", True, True, False, True, REQUESTER, ASSIGNEES, None, BOTH_AGENTS),
    # only active clients get mail
    ("zed", True, False, False, False, Requester("c", "x@acme.test", "disabled"), ASSIGNEES, None, ()),
    ("zed", True, False, False, False, Requester("c", "x@acme.test", "invited"), ASSIGNEES, None, ()),
    ("zed", True, False, False, False, Requester("c", "x@acme.test", "inactive"), ASSIGNEES, None, ()),
    ("zed", True, False, False, False, Requester("c", None, None), ASSIGNEES, None, ()),  # removed
    # unassigned: the contact option still works, the assignee option has nobody
    ("zed", None, None, False, False, REQUESTER, {}, "rita@acme.test", ()),
    # one address, one mail: the requester's mailbox gets the client's copy only (any spelling);
    # when the client gets none (internal note), that mailbox is an assignee's like any other
    ("zed", None, None, False, False, REQUESTER, {**ASSIGNEES, "rita": "Rita@Acme.test"}, "rita@acme.test",
     BOTH_AGENTS),
    ("zed", None, None, True, False, REQUESTER, {"rita": "Rita@Acme.test"}, None, ("Rita@Acme.test",)),
    ("zed", None, None, False, False, REQUESTER, {"a": "ann@helpdesk.test", "b": "ANN@helpdesk.test"},
     "rita@acme.test", ("ann@helpdesk.test",)),
])
def test_an_agents_note_notifies(author, notify_contact, notify_assignees, internal, blocked, requester, assignees,
                                 client, agents):
    found = note_recipients(author_kind="agent", author_id=author, internal=internal, notify_contact=notify_contact,
                            notify_assignees=notify_assignees, requester=requester, assignees=assignees,
                            agents_email=SHARED, blocked=blocked)
    assert (found.client, found.agents) == (client, agents)


@pytest.mark.parametrize("assignees, agents", [(ASSIGNEES, BOTH_AGENTS), ({}, (SHARED,))])
def test_a_clients_note_notifies_the_assignees_or_the_shared_address(assignees, agents):
    found = note_recipients(author_kind="client", author_id="client-1", internal=False, notify_contact=None,
                            notify_assignees=None, requester=REQUESTER, assignees=assignees, agents_email=SHARED,
                            blocked=False)
    assert (found.client, found.agents) == (None, agents)
