"""What a client may see and be told (product.md §1, §3), as a table: services/visibility.py.
Plain function tests: no AWS."""

from __future__ import annotations

import pytest

from chalicelib.identity import ActingAgent, ActingClient, TicketRequester
from chalicelib.models.attachments import AttachmentModel
from chalicelib.models.notes import NoteModel
from chalicelib.models.tickets import TicketModel
from chalicelib.services import visibility

RITA = ActingClient("rita", "rita@acme.test", "Rita", None, "acme", "client_user")  # the requester
SAM = ActingClient("sam", "sam@acme.test", "Sam", None, "acme", "client_user")  # her colleague
ACME_ADMIN = ActingClient("alice", "alice@acme.test", "Alice", None, "acme", "client_admin")
OTHER_ADMIN = ActingClient("olga", "olga@initech.test", "Olga", None, "initech", "client_admin")
ADMIN_WITHOUT_ORG = ActingClient("nora", "nora@solo.test", "Nora", None, None, "client_admin")
LOOKING_ON = ActingClient("rita", "rita@acme.test", "Rita", None, "acme", "client_user", read_only=True,
                          impersonated_by="ann@helpdesk.test")  # an agent impersonating Rita
AGENT = ActingAgent("ann", "ann@helpdesk.test", frozenset())


def ticket(*, blocked: bool = False, organization_id: str | None = "acme") -> TicketModel:
    return TicketModel("1001", number=1001, requester_id="rita", organization_id=organization_id,
                       block_client_view=blocked)


def note(*, internal: bool) -> NoteModel:
    return NoteModel("1001", "01NOTE", internal=internal)


@pytest.mark.parametrize("caller, item, visible", [
    (RITA, ticket(), True),  # the requester
    (SAM, ticket(), False),  # another requester, same organization: a client user sees only their own
    (ACME_ADMIN, ticket(), True),  # a client admin sees their organization's
    (OTHER_ADMIN, ticket(), False),  # not another organization's
    (ADMIN_WITHOUT_ORG, ticket(organization_id=None), False),  # "no organization" is not an organization
    (LOOKING_ON, ticket(), True),  # impersonation sees what the client sees
    (AGENT, ticket(), True),
    # blocked from client view: invisible to every client, the requester included
    (RITA, ticket(blocked=True), False),
    (ACME_ADMIN, ticket(blocked=True), False),
    (LOOKING_ON, ticket(blocked=True), False),
    (AGENT, ticket(blocked=True), True),
])
def test_who_sees_a_ticket(caller, item, visible):
    assert visibility.ticket_visible(caller, item) is visible


@pytest.mark.parametrize("caller, internal, visible", [
    (RITA, False, True),
    (RITA, True, False),
    (ACME_ADMIN, True, False),
    (LOOKING_ON, True, False),
    (AGENT, False, True),
    (AGENT, True, True),
])
def test_who_sees_a_note(caller, internal, visible):
    assert visibility.note_visible(caller, note(internal=internal)) is visible


def file(*, internal: bool = False, number: int = 1001) -> AttachmentModel:
    """A file bound to ticket `number` (`internal`: its note's flag)."""
    return AttachmentModel("file#01FILE", kind="file", ticket_number=number, internal=internal)


@pytest.mark.parametrize("caller, item, of_ticket, visible", [
    (RITA, file(), ticket(), True),  # a file of the ticket or of a public note
    (ACME_ADMIN, file(), ticket(), True),
    (LOOKING_ON, file(), ticket(), True),
    (SAM, file(), ticket(), False),  # not his ticket: not its files either
    (OTHER_ADMIN, file(), ticket(), False),
    # a file of an internal note: never a client's, as the note is not
    (RITA, file(internal=True), ticket(), False),
    (ACME_ADMIN, file(internal=True), ticket(), False),
    (LOOKING_ON, file(internal=True), ticket(), False),
    # a blocked ticket's files: never a client's, the requester's included
    (RITA, file(), ticket(blocked=True), False),
    (LOOKING_ON, file(), ticket(blocked=True), False),
    (RITA, file(number=1002), ticket(), False),  # another ticket's file, named under this one
    (RITA, file(), None, False),  # a client's file is decided with its ticket, never without
    (AGENT, file(), ticket(), True),
    (AGENT, file(internal=True), ticket(blocked=True), True),
    (AGENT, file(internal=True), None, True),  # agents see every ticket: theirs is not read
])
def test_who_sees_a_file(caller, item, of_ticket, visible):
    assert visibility.file_visible(caller, item, of_ticket) is visible


@pytest.mark.parametrize("caller, sees", [(AGENT, True), (RITA, False), (ACME_ADMIN, False), (LOOKING_ON, False)])
def test_only_agents_see_internals(caller, sees):
    assert visibility.sees_internals(caller) is sees


@pytest.mark.parametrize("client, refusal", [
    (ACME_ADMIN, None),
    (RITA, "Only client admins see their organization's tickets."),
    (ADMIN_WITHOUT_ORG, "Your account does not belong to an organization."),
])
def test_who_lists_an_organizations_tickets(client, refusal):
    assert visibility.organization_list_refusal(client) == refusal


ACTIVE = TicketRequester("rita", "rita@acme.test", "active")


@pytest.mark.parametrize("requester, blocked, internal, allowed", [
    (ACTIVE, False, False, True),
    (ACTIVE, True, False, False),  # a blocked ticket mails no client
    (ACTIVE, False, True, False),  # an internal note is never mailed to a client
    (TicketRequester("c", "c@acme.test", "invited"), False, False, False),  # only active clients
    (TicketRequester("c", "c@acme.test", "inactive"), False, False, False),
    (TicketRequester("c", "c@acme.test", "disabled"), False, False, False),
    (TicketRequester("c", None, None), False, False, False),  # removed: no account, no mail
])
def test_when_a_client_may_be_mailed(requester, blocked, internal, allowed):
    assert visibility.client_may_be_mailed(requester, blocked=blocked, internal=internal) is allowed


def test_the_services_shape_answers_by_the_caller():
    """Views take the caller: a client never gets agents' fields."""
    from chalicelib.services import notes, ticket_views

    item = TicketModel("1001", number=1001, status="open", requester_id="rita", block_client_view=False,
                       assignees=["ann"], version=3)
    assert {"assignees", "block_client_view", "version"} <= set(ticket_views.view(item, AGENT))
    assert not {"assignees", "block_client_view", "version", "created_by"} & set(ticket_views.view(item, RITA))
    written = NoteModel("1001", "01NOTE", author_kind="agent", author_id="ann", author_name="Ann", body="Hi",
                        internal=False)
    assert notes.note_view(written, AGENT)["author"]["id"] == "ann"
    for_client = notes.note_view(written, RITA)
    assert "id" not in for_client["author"] and not {"internal", "notify_contact"} & set(for_client)
