"""Ticket emails through the API: what is queued, to whom, with what data."""

from __future__ import annotations

from tests.api.tickets_fixtures import username_of


def test_a_new_ticket_confirms_to_the_requester_and_alerts_the_agents(helpdesk, outbox):
    ticket = helpdesk.open_ticket()
    to_client = outbox.last("ticket-created", "rita@acme.test")
    assert to_client["data"]["ticket_number"] == ticket["number"]
    assert to_client["data"]["ticket_url"].endswith(f"/tickets/{ticket['number']}")
    assert outbox.last("ticket-created", "agents@portico.test")["data"]["description"] == "Smoke everywhere."


def test_an_agent_note_with_no_option_mails_requester_and_assignees_but_not_the_author(helpdesk, api, outbox):
    n = helpdesk.open_ticket()["number"]
    helpdesk.agent_patch(n, assignees=[helpdesk.manager_name, helpdesk.other_manager_name])
    api.post(f"/agent/tickets/{n}/notes", {"body": "Fixed the toner."}, token=helpdesk.manager)
    notes = outbox.messages("ticket-note-created")
    assert sorted(m["to"] for m in notes) == ["rita@acme.test", "second@helpdesk.test"]
    assert outbox.last("ticket-note-created", "rita@acme.test")["data"]["note_body"] == "Fixed the toner."


def test_an_internal_note_never_reaches_the_client_nor_any_template_data(helpdesk, api, outbox):
    n = helpdesk.open_ticket()["number"]
    helpdesk.agent_patch(n, assignees=[helpdesk.other_manager_name])
    api.post(f"/agent/tickets/{n}/notes", {"body": "SECRET internal remark", "internal": True,
                                           "notify_contact": True, "notify_assignees": True}, token=helpdesk.manager)
    notes = outbox.messages("ticket-note-created")
    assert [m["to"] for m in notes] == ["second@helpdesk.test"]
    assert all("SECRET" not in str(m["data"]) for m in outbox.messages())


def test_a_client_reply_mails_the_assignees_or_the_shared_address(helpdesk, api, outbox):
    unassigned = helpdesk.open_ticket()["number"]
    api.post(f"/portal/tickets/{unassigned}/notes", {"body": "Any news?"}, token=helpdesk.requester)
    assert [m["to"] for m in outbox.messages("ticket-note-created")] == ["agents@portico.test"]
    assigned = helpdesk.open_ticket("Other")["number"]
    helpdesk.agent_patch(assigned, assignees=[helpdesk.manager_name])
    api.post(f"/portal/tickets/{assigned}/notes", {"body": "Hello?"}, token=helpdesk.requester)
    assert outbox.messages("ticket-note-created", "manager@helpdesk.test")
    assert outbox.messages("ticket-note-created", "rita@acme.test") == []


def test_a_blocked_ticket_triggers_no_client_email(helpdesk, api, outbox):
    n = helpdesk.open_ticket()["number"]
    helpdesk.agent_patch(n, block_client_view=True)
    api.post(f"/agent/tickets/{n}/notes", {"body": "Public but blocked"}, token=helpdesk.manager)
    helpdesk.agent_patch(n, status="resolved")
    assert outbox.messages("ticket-note-created", "rita@acme.test") == []
    assert outbox.messages("ticket-resolved") == []


def test_a_disabled_requester_gets_no_email(helpdesk, api, outbox, portal):
    api.patch(f"/agent/clients/{helpdesk.requester_id}", {"disabled": True}, token=portal.agent_token)
    ticket = api.post("/agent/tickets", {"requester_id": helpdesk.requester_id, "subject": "S", "description": "D"},
                      token=helpdesk.agent).json
    api.post(f"/agent/tickets/{ticket['number']}/notes", {"body": "Hi"}, token=helpdesk.agent)
    assert outbox.messages(to="rita@acme.test") == [] or all(
        m["template"] == "portal-welcome" for m in outbox.messages(to="rita@acme.test"))


def test_resolving_mails_the_requester_with_a_rating_link_when_rating_is_on(helpdesk, outbox):
    first = helpdesk.open_ticket()["number"]
    helpdesk.agent_patch(first, status="resolved")
    assert outbox.last("ticket-resolved", "rita@acme.test")["data"]["rating_url"] == ""
    helpdesk.set_settings(allow_client_rating=True)
    second = helpdesk.open_ticket("Second")["number"]
    helpdesk.agent_patch(second, status="resolved")
    mail = next(m for m in outbox.messages("ticket-resolved") if m["data"]["ticket_number"] == second)
    assert mail["data"]["rating_url"].endswith(f"/tickets/{second}#rate")


def test_ticket_mail_is_delivered_by_ses(helpdesk, mailbox):
    helpdesk.open_ticket()
    mailbox.deliver()
    assert mailbox.one(template="ticket-created", to="rita@acme.test").data["subject"] == "Printer on fire"


def test_an_agents_note_is_signed_with_their_name_or_else_their_email(helpdesk, api, agents, outbox):
    n = helpdesk.open_ticket()["number"]
    named = agents.token("nora@helpdesk.test", [], name="Nora Support")
    api.post(f"/agent/tickets/{n}/notes", {"body": "Toner ordered."}, token=named)
    api.post(f"/agent/tickets/{n}/notes", {"body": "It has arrived."}, token=helpdesk.agent)
    seen = api.get(f"/portal/tickets/{n}", token=helpdesk.requester).json["notes"]
    assert [(note["body"], note["author"]["name"]) for note in seen] == [
        ("Toner ordered.", "Nora Support"), ("It has arrived.", "agent@helpdesk.test")]
    mailed = {m["data"]["author_name"] for m in outbox.messages("ticket-note-created", "rita@acme.test")}
    assert mailed == {"Nora Support", "agent@helpdesk.test"}


# --- one event, one mail per address ----------------------------------------------------------
# The client's copy and the agents' copy of one event used to share an outbox id when the
# addresses matched, and DynamoDB refused the whole transaction.

def test_a_requester_who_is_also_the_agents_address_opens_a_ticket_and_gets_one_client_copy(helpdesk, outbox):
    helpdesk.set_settings(agents_email="rita@acme.test")
    number = helpdesk.open_ticket()["number"]
    mails = outbox.messages("ticket-created")
    assert [(m["to"], m["data"]["for_client"]) for m in mails] == [("rita@acme.test", True)]
    assert mails[0]["data"]["ticket_number"] == number


def test_a_requester_who_is_also_an_assignee_gets_one_client_copy_of_a_note(helpdesk, api, agents, outbox):
    n = helpdesk.open_ticket()["number"]
    twin = username_of(agents.token("RITA@acme.test", []))  # same mailbox, other spelling
    assert helpdesk.agent_patch(n, assignees=[twin, helpdesk.other_manager_name]).status == 200
    answer = api.post(f"/agent/tickets/{n}/notes", {"body": "Fixed the toner."}, token=helpdesk.manager)
    assert answer.status == 201, answer.json
    mails = outbox.messages("ticket-note-created")
    assert sorted((m["to"].lower(), m["data"]["for_client"]) for m in mails) == [
        ("rita@acme.test", True), ("second@helpdesk.test", False)]
    assert len({m["id"] for m in mails}) == 2


def test_an_internal_note_still_reaches_an_assignee_who_shares_the_requesters_address(helpdesk, api, agents,
                                                                                         outbox):
    n = helpdesk.open_ticket()["number"]
    helpdesk.agent_patch(n, assignees=[username_of(agents.token("rita@acme.test", []))])
    answer = api.post(f"/agent/tickets/{n}/notes", {"body": "SECRET", "internal": True}, token=helpdesk.manager)
    assert answer.status == 201, answer.json
    mails = outbox.messages("ticket-note-created")
    assert [(m["to"], m["data"]["for_client"], m["data"]["note_body"]) for m in mails] == [
        ("rita@acme.test", False, "")]
