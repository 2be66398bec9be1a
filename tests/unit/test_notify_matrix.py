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


# --- watchers and CC (product.md §12) ------------------------------------------------------

def _addresses(people):
    return tuple(person.email for person in people)


def _watcher(client_id, email, events=(), cc=False, status="active"):
    from chalicelib.services.notifications import Watcher

    return Watcher(Requester(client_id, email, status), frozenset(events), cc)


WATCHING = _watcher("w-1", "wendy@acme.test", ("public_reply",))
CC = _watcher("c-1", "carl@acme.test", cc=True)
STATUS_ONLY = _watcher("s-1", "sam@acme.test", ("status",))


@pytest.mark.parametrize("author_kind, author, notify_contact, notify_assignees, internal, blocked, watchers, others", [
    # an agent's public note: public_reply watchers and CC'd clients
    ("agent", "zed", None, None, False, False, (WATCHING, CC, STATUS_ONLY), ("wendy@acme.test", "carl@acme.test")),
    # not to the contact: CC'd clients follow the requester, watchers of replies still get it
    ("agent", "zed", False, True, False, False, (WATCHING, CC), ("wendy@acme.test",)),
    # never an internal note, never a blocked ticket
    ("agent", "zed", None, None, True, False, (WATCHING, CC), ()),
    ("agent", "zed", None, None, False, True, (WATCHING, CC), ()),
    # only active clients
    ("agent", "zed", None, None, False, False, (_watcher("w-2", "x@acme.test", ("public_reply",), status="invited"),
                                                _watcher("c-2", "y@acme.test", cc=True, status="disabled")), ()),
    # a client's reply: to watchers and CC'd clients, never to its author
    ("client", "w-1", None, None, False, False, (WATCHING, CC), ("carl@acme.test",)),
    ("client", "client-1", None, None, False, False, (WATCHING, CC), ("wendy@acme.test", "carl@acme.test")),
    # one mail per address: the requester's copy wins, and a watcher is also CC'd only once
    ("agent", "zed", None, None, False, False, (_watcher("r", "Rita@acme.test", ("public_reply",)),), ()),
    ("agent", "zed", None, None, False, False, (WATCHING, _watcher("w-9", "WENDY@acme.test", cc=True)),
     ("wendy@acme.test",)),
])
def test_watchers_and_cc_get_a_notes_mail(author_kind, author, notify_contact, notify_assignees, internal, blocked,
                                          watchers, others):
    found = note_recipients(author_kind=author_kind, author_id=author, internal=internal,
                            notify_contact=notify_contact, notify_assignees=notify_assignees, requester=REQUESTER,
                            assignees=ASSIGNEES, agents_email=SHARED, blocked=blocked, watchers=watchers)
    assert _addresses(found.watchers) == others
    assert not {a.lower() for a in found.agents} & {o.lower() for o in _addresses(found.watchers)}


def test_an_agents_address_that_watches_gets_the_clients_copy_only():
    found = note_recipients(author_kind="agent", author_id="zed", internal=False, notify_contact=None,
                            notify_assignees=None, requester=REQUESTER, assignees=ASSIGNEES, agents_email=SHARED,
                            blocked=False, watchers=(_watcher("w-3", "ANN@helpdesk.test", ("public_reply",)),))
    assert _addresses(found.watchers) == ("ANN@helpdesk.test",) and found.agents == ("bob@helpdesk.test",)


@pytest.mark.parametrize("event, watchers, expected", [
    ("status", (WATCHING, CC, STATUS_ONLY), ("sam@acme.test",)),  # CC'd clients follow the requester: no status mail
    ("resolved", (WATCHING, CC, STATUS_ONLY), ("carl@acme.test",)),
    ("public_reply", (CC,), ("carl@acme.test",)),
])
def test_watcher_events(event, watchers, expected):
    from chalicelib.services.notifications import watcher_recipients

    assert _addresses(watcher_recipients(watchers, event, author_id=None, blocked=False)) == expected
