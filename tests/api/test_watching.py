"""Watching a ticket and CC (product.md §12): who may watch, what the answers say, who sees a
CC'd ticket, and whose mail follows which events (the mail rules of product.md §3 hold)."""

from __future__ import annotations


def _colleague(helpdesk, portal, email="carl@acme.test"):
    client, session = portal.active_client(email, organization_id=helpdesk.org_id)
    return client, portal.bearer(session)


def test_a_client_watches_a_ticket_they_see_and_its_answers_say_so(helpdesk, api, portal):
    n = helpdesk.open_ticket()["number"]
    assert api.get(f"/portal/tickets/{n}", token=helpdesk.requester).json["watching"] is None
    put = api.put(f"/portal/tickets/{n}/watch", {"events": ["status", "public_reply"]}, token=helpdesk.requester)
    assert put.status == 200 and put.json["watching"] == {"events": ["public_reply", "status"], "cc": False}
    assert api.get(f"/portal/tickets/{n}", token=helpdesk.requester).json["watching"]["events"] == [
        "public_reply", "status"]
    listed = api.get("/portal/tickets", token=helpdesk.requester).json["items"]
    assert listed[0]["watching"]["events"] == ["public_reply", "status"]
    # a client admin watches a colleague's ticket; a stranger and a plain colleague cannot see it
    assert api.put(f"/portal/tickets/{n}/watch", {"events": ["resolved"]}, token=helpdesk.org_admin).status == 200
    assert api.put(f"/portal/tickets/{n}/watch", {"events": ["resolved"]}, token=helpdesk.stranger).status == 404
    _, colleague = _colleague(helpdesk, portal)
    assert api.put(f"/portal/tickets/{n}/watch", {"events": ["resolved"]}, token=colleague).status == 404
    assert api.put(f"/portal/tickets/{n}/watch", {"events": []}, token=helpdesk.requester).status == 400
    agent_view = api.get(f"/agent/tickets/{n}", token=helpdesk.agent).json
    assert set(agent_view["watchers"]) == {helpdesk.requester_id, api.get("/portal/me", token=helpdesk.org_admin
                                                                          ).json["id"]}
    gone = api.delete(f"/portal/tickets/{n}/watch", token=helpdesk.requester)
    assert gone.status == 200 and gone.json["watching"] is None
    assert api.delete(f"/portal/tickets/{n}/watch", token=helpdesk.requester).status == 200  # again: fine


def test_watchers_get_the_events_they_chose_and_never_internal_notes_or_their_own(helpdesk, api, outbox):
    n = helpdesk.open_ticket()["number"]
    api.put(f"/portal/tickets/{n}/watch", {"events": ["public_reply"]}, token=helpdesk.org_admin)
    api.post(f"/agent/tickets/{n}/notes", {"body": "SECRET", "internal": True}, token=helpdesk.manager)
    assert outbox.messages("ticket-note-created", "boss@acme.test") == []
    api.post(f"/portal/tickets/{n}/notes", {"body": "Still smoking"}, token=helpdesk.requester)
    assert outbox.last("ticket-note-created", "boss@acme.test")["data"]["note_body"] == "Still smoking"
    api.post(f"/portal/tickets/{n}/notes", {"body": "Mine"}, token=helpdesk.org_admin)
    assert [m["data"]["note_body"] for m in outbox.messages("ticket-note-created", "boss@acme.test")] == [
        "Still smoking"]  # never their own
    # status changes: only to who watches them
    api.put(f"/portal/tickets/{n}/watch", {"events": ["status"]}, token=helpdesk.org_admin)
    helpdesk.agent_patch(n, status="pending")
    changed = outbox.last("ticket-status-changed", "boss@acme.test")
    assert changed["data"]["status"] == "pending" and changed["data"]["previous_status"] == "new"
    assert outbox.messages("ticket-status-changed", "rita@acme.test") == []
    helpdesk.agent_patch(n, status="resolved")
    resolved = outbox.last("ticket-resolved", "boss@acme.test")
    assert resolved["data"]["rating_enabled"] is False
    assert outbox.messages("ticket-resolved", "rita@acme.test")


def test_a_blocked_ticket_mails_no_watcher(helpdesk, api, outbox):
    n = helpdesk.open_ticket()["number"]
    api.put(f"/portal/tickets/{n}/watch", {"events": ["public_reply", "status", "resolved"]},
            token=helpdesk.org_admin)
    helpdesk.agent_patch(n, block_client_view=True)
    api.post(f"/agent/tickets/{n}/notes", {"body": "Public"}, token=helpdesk.manager)
    helpdesk.agent_patch(n, status="resolved")
    assert [m for m in outbox.messages(to="boss@acme.test") if m["template"].startswith("ticket-")] == []


def test_agents_cc_colleagues_who_then_see_the_ticket_in_their_list_and_get_its_mail(helpdesk, api, portal,
                                                                                        outbox):
    carl, carl_token = _colleague(helpdesk, portal)
    mine = api.post("/portal/tickets", {"subject": "Carl's own", "description": "x"}, token=carl_token).json
    n = helpdesk.open_ticket()["number"]
    assert api.get(f"/portal/tickets/{n}", token=carl_token).status == 404
    # CC needs manage-tickets, like assigning and blocking client view (ticket_writes)
    refused = helpdesk.agent_patch(n, token=helpdesk.agent, cc=[carl["id"]])
    assert refused.status == 403
    assert api.get(f"/portal/tickets/{n}", token=carl_token).status == 404
    # only colleagues of the requester's organization
    assert helpdesk.agent_patch(n, cc=[helpdesk.stranger_id]).status == 400
    assert helpdesk.agent_patch(n, cc=[helpdesk.requester_id]).status == 400
    patched = helpdesk.agent_patch(n, cc=[carl["id"]])
    assert patched.status == 200 and patched.json["cc"] == [carl["id"]]
    seen = api.get(f"/portal/tickets/{n}", token=carl_token)
    assert seen.status == 200 and seen.json["watching"] == {"events": [], "cc": True}
    assert [t["number"] for t in api.get("/portal/tickets", token=carl_token).json["items"]] == [n, mine["number"]]
    # it moves in Carl's list when it changes for clients, and honours the status filter
    api.post(f"/portal/tickets/{mine['number']}/notes", {"body": "bump"}, token=carl_token)
    api.post(f"/agent/tickets/{n}/notes", {"body": "We are on it"}, token=helpdesk.manager)
    assert [t["number"] for t in api.get("/portal/tickets", token=carl_token).json["items"]] == [n, mine["number"]]
    assert outbox.last("ticket-note-created", "carl@acme.test")["data"]["note_body"] == "We are on it"
    helpdesk.agent_patch(n, status="pending")
    assert [t["number"] for t in api.get("/portal/tickets?status=pending", token=carl_token).json["items"]] == [n]
    # the agents' requester filter lists the requester's own tickets only
    by_carl = api.get(f"/agent/tickets?requester_id={carl['id']}", token=helpdesk.agent).json["items"]
    assert [t["number"] for t in by_carl] == [mine["number"]]
    helpdesk.agent_patch(n, status="resolved")
    assert outbox.messages("ticket-resolved", "carl@acme.test")
    # a note that does not notify the contact does not reach the CC'd either
    api.post(f"/agent/tickets/{n}/notes", {"body": "Assignees only", "notify_assignees": True},
             token=helpdesk.manager)
    assert outbox.last("ticket-note-created", "carl@acme.test")["data"]["note_body"] == "We are on it"
    # removed from CC: gone from the list, 404
    helpdesk.agent_patch(n, cc=[])
    assert api.get(f"/portal/tickets/{n}", token=carl_token).status == 404
    assert [t["number"] for t in api.get("/portal/tickets", token=carl_token).json["items"]] == [mine["number"]]


def test_a_disabled_cc_gets_no_mail(helpdesk, api, portal, outbox):
    carl, _ = _colleague(helpdesk, portal)
    n = helpdesk.open_ticket()["number"]
    helpdesk.agent_patch(n, cc=[carl["id"]])
    api.patch(f"/agent/clients/{carl['id']}", {"disabled": True}, token=portal.agent_token)
    api.post(f"/agent/tickets/{n}/notes", {"body": "Hello"}, token=helpdesk.manager)
    helpdesk.agent_patch(n, status="resolved")
    assert [m for m in outbox.messages(to="carl@acme.test") if m["template"].startswith("ticket-")] == []


def test_a_cc_ends_when_the_client_leaves_the_tickets_organization(helpdesk, api, portal, outbox):
    carl, carl_token = _colleague(helpdesk, portal)
    n = helpdesk.open_ticket()["number"]
    helpdesk.agent_patch(n, cc=[carl["id"]])
    assert api.get(f"/portal/tickets/{n}", token=carl_token).status == 200
    other_org = api.get(f"/agent/clients/{helpdesk.stranger_id}", token=portal.agent_token).json["organization_id"]
    moved = api.patch(f"/agent/clients/{carl['id']}", {"organization_id": other_org}, token=portal.agent_token)
    assert moved.status == 200, moved.json
    # still listed in the ticket's CC, but no longer a colleague: no access, no list entry, no mail
    assert api.get(f"/portal/tickets/{n}", token=carl_token).status == 404
    assert [t["number"] for t in api.get("/portal/tickets", token=carl_token).json["items"]] == []
    api.post(f"/agent/tickets/{n}/notes", {"body": "Hello"}, token=helpdesk.manager)
    helpdesk.agent_patch(n, status="resolved")
    assert [m for m in outbox.messages(to="carl@acme.test") if m["template"].startswith("ticket-")] == []
