"""Tickets from the portal and the agent API (product.md §3, api.md tickets)."""

from __future__ import annotations

import threading


def test_a_client_opens_a_ticket_with_a_friendly_number(helpdesk):
    first = helpdesk.open_ticket()
    second = helpdesk.open_ticket("Second")
    assert first["number"] == 1001 and second["number"] == 1002
    assert first["status"] == "new" and first["priority"] == "normal"
    assert first["requester"]["email"] == "rita@acme.test"
    assert "assignees" not in first and "block_client_view" not in first


def test_concurrent_creates_never_share_a_number(helpdesk):
    from chalicelib.services import ticket_writes

    numbers: list[int] = []

    def create() -> None:
        item = ticket_writes.create(subject="Race", description="x", priority=None, category=None,
                              requester_id=helpdesk.requester_id, created_by="test")
        numbers.append(int(item.number))

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == list(range(1001, 1007))


def test_bad_ticket_input_is_a_400(helpdesk, api):
    for body, field in (({"subject": "", "description": "x"}, "subject"),
                        ({"subject": "x" * 201, "description": "x"}, "subject"),
                        ({"subject": "x", "description": "y" * 20_001}, "description"),
                        ({"subject": "x", "description": "y", "priority": "asap"}, "priority")):
        answer = api.post("/portal/tickets", body, token=helpdesk.requester)
        assert answer.status == 400 and field in answer.json["fields"], body


def test_clients_list_their_own_tickets_newest_activity_first_with_a_status_filter(helpdesk, api):
    old = helpdesk.open_ticket("Old")
    new = helpdesk.open_ticket("New")
    api.post(f"/portal/tickets/{old['number']}/notes", {"body": "Any news?"}, token=helpdesk.requester)
    listed = api.get("/portal/tickets", token=helpdesk.requester).json["items"]
    assert [t["number"] for t in listed] == [old["number"], new["number"]]
    helpdesk.agent_patch(new["number"], status="pending")
    pending = api.get("/portal/tickets?status=pending", token=helpdesk.requester).json["items"]
    assert [t["number"] for t in pending] == [new["number"]]


def test_client_admins_see_their_organizations_tickets_and_client_users_may_not_ask(helpdesk, api):
    ticket = helpdesk.open_ticket()
    own = api.get("/portal/tickets", token=helpdesk.org_admin).json["items"]
    assert own == []
    org = api.get("/portal/tickets?scope=organization", token=helpdesk.org_admin).json["items"]
    assert [t["number"] for t in org] == [ticket["number"]]
    assert api.get(f"/portal/tickets/{ticket['number']}", token=helpdesk.org_admin).status == 200
    assert api.get("/portal/tickets?scope=organization", token=helpdesk.requester).code == "forbidden"


def test_another_organizations_ticket_is_not_found_in_lists_too(helpdesk, api):
    ticket = helpdesk.open_ticket()
    assert api.get(f"/portal/tickets/{ticket['number']}", token=helpdesk.stranger).status == 404
    assert api.get("/portal/tickets", token=helpdesk.stranger).json["items"] == []
    assert api.post(f"/portal/tickets/{ticket['number']}/notes", {"body": "hi"},
                    token=helpdesk.stranger).status == 404
    assert api.get("/portal/tickets/99999", token=helpdesk.requester).status == 404
    assert api.get("/portal/tickets/abc", token=helpdesk.requester).status == 404


def test_a_blocked_ticket_is_invisible_to_clients(helpdesk, api):
    ticket = helpdesk.open_ticket()
    assert helpdesk.agent_patch(ticket["number"], block_client_view=True).status == 200
    assert api.get(f"/portal/tickets/{ticket['number']}", token=helpdesk.requester).status == 404
    assert api.get("/portal/tickets", token=helpdesk.requester).json["items"] == []
    assert api.get("/portal/tickets?scope=organization", token=helpdesk.org_admin).json["items"] == []
    assert api.get(f"/agent/tickets/{ticket['number']}", token=helpdesk.agent).json["block_client_view"] is True


def test_blocking_and_assigning_need_manage_tickets(helpdesk):
    ticket = helpdesk.open_ticket()
    assert helpdesk.agent_patch(ticket["number"], token=helpdesk.agent, block_client_view=True).status == 403
    assert helpdesk.agent_patch(ticket["number"], token=helpdesk.agent,
                                assignees=[helpdesk.manager_name]).status == 403
    assert helpdesk.agent_patch(ticket["number"], token=helpdesk.agent, status="open").status == 200


def test_clients_see_public_notes_only(helpdesk, api):
    ticket = helpdesk.open_ticket()
    n = ticket["number"]
    api.post(f"/agent/tickets/{n}/notes", {"body": "We are on it."}, token=helpdesk.agent)
    api.post(f"/agent/tickets/{n}/notes", {"body": "Customer is grumpy.", "internal": True}, token=helpdesk.agent)
    api.post(f"/portal/tickets/{n}/notes", {"body": "Thanks!"}, token=helpdesk.requester)
    seen = api.get(f"/portal/tickets/{n}", token=helpdesk.requester).json
    assert [note["body"] for note in seen["notes"]] == ["We are on it.", "Thanks!"]
    assert seen["public_note_count"] == 2
    everything = api.get(f"/agent/tickets/{n}/notes", token=helpdesk.agent).json["items"]
    assert [(note["body"], note["internal"]) for note in everything] == [
        ("We are on it.", False), ("Customer is grumpy.", True), ("Thanks!", False)]


def test_clients_edit_their_open_ticket_but_not_a_resolved_one(helpdesk, api):
    ticket = helpdesk.open_ticket()
    n = ticket["number"]
    edited = api.patch(f"/portal/tickets/{n}", {"subject": "Printer smoking", "priority": "high"},
                       token=helpdesk.requester)
    assert edited.status == 200 and edited.json["subject"] == "Printer smoking" and edited.json["priority"] == "high"
    assert api.patch(f"/portal/tickets/{n}", {"status": "closed"}, token=helpdesk.requester).status == 400
    assert api.patch(f"/portal/tickets/{n}", {"subject": "x"}, token=helpdesk.org_admin).status == 403
    helpdesk.agent_patch(n, status="resolved")
    assert api.patch(f"/portal/tickets/{n}", {"subject": "Again"}, token=helpdesk.requester).status == 409


def test_a_client_reply_reopens_a_resolved_ticket_but_a_closed_one_takes_none(helpdesk, api):
    ticket = helpdesk.open_ticket()
    n = ticket["number"]
    helpdesk.agent_patch(n, status="resolved")
    assert api.post(f"/portal/tickets/{n}/notes", {"body": "Still broken"}, token=helpdesk.requester).status == 201
    assert api.get(f"/agent/tickets/{n}", token=helpdesk.agent).json["status"] == "open"
    helpdesk.agent_patch(n, status="closed")
    assert api.post(f"/portal/tickets/{n}/notes", {"body": "Hello?"}, token=helpdesk.requester).status == 409


def test_an_agents_first_public_reply_opens_a_new_ticket_and_mails_only_the_note(helpdesk, api, outbox):
    n = helpdesk.open_ticket()["number"]
    helpdesk.agent_patch(n, assignees=[helpdesk.manager_name])
    api.post(f"/agent/tickets/{n}/notes", {"body": "Looking.", "internal": True}, token=helpdesk.agent)
    assert api.get(f"/agent/tickets/{n}", token=helpdesk.agent).json["status"] == "new"  # internal: no move
    before = {m["id"] for m in outbox.messages()}
    assert api.post(f"/agent/tickets/{n}/notes", {"body": "On it."}, token=helpdesk.agent).status == 201
    assert api.get(f"/agent/tickets/{n}", token=helpdesk.agent).json["status"] == "open"
    assert api.get(f"/portal/tickets/{n}", token=helpdesk.requester).json["status"] == "open"
    mine = api.get(f"/agent/tickets?assignee={helpdesk.manager_name}&status=open", token=helpdesk.agent).json
    assert [t["number"] for t in mine["items"]] == [n]  # the assignment items moved with it
    # The note's own mails, nothing about the status change.
    assert {m["template"] for m in outbox.messages() if m["id"] not in before} == {"ticket-note-created"}
    helpdesk.agent_patch(n, status="pending")
    api.post(f"/agent/tickets/{n}/notes", {"body": "Waiting for you."}, token=helpdesk.agent)
    assert api.get(f"/agent/tickets/{n}", token=helpdesk.agent).json["status"] == "pending"


def test_ticket_categories_are_free_text_until_the_settings_list_them(helpdesk, api):
    assert helpdesk.open_ticket(category="Anything at all")["category"] == "Anything at all"
    assert api.get("/portal/config").json["ticket_categories"] == []
    helpdesk.set_settings(ticket_categories=["Network", "Printing", "Network "])
    assert api.get("/agent/settings", token=helpdesk.agent).json["ticket_categories"] == ["Network", "Printing"]
    assert api.get("/portal/config").json["ticket_categories"] == ["Network", "Printing"]
    assert helpdesk.open_ticket(category="printing")["category"] == "Printing"  # stored as listed
    assert helpdesk.open_ticket()["category"] is None  # still optional
    refused = api.post("/portal/tickets", {"subject": "S", "description": "D", "category": "Coffee"},
                       token=helpdesk.requester)
    assert refused.status == 400 and "category" in refused.json["fields"]
    n = helpdesk.open_ticket()["number"]
    assert helpdesk.agent_patch(n, category="Coffee").status == 400
    assert helpdesk.agent_patch(n, category="network").json["category"] == "Network"
    assert api.post("/agent/tickets", {"requester_id": helpdesk.requester_id, "subject": "S", "description": "D",
                                       "category": "Coffee"}, token=helpdesk.agent).status == 400
    helpdesk.set_settings(ticket_categories=[])
    assert helpdesk.open_ticket(category="Coffee")["category"] == "Coffee"


def test_agents_create_tickets_on_behalf_of_a_client(helpdesk, api):
    answer = api.post("/agent/tickets", {"requester_id": helpdesk.requester_id, "subject": "Called in",
                                         "description": "Phone call", "assignees": [helpdesk.manager_name]},
                      token=helpdesk.manager)
    assert answer.status == 201
    assert answer.json["assignees"] == [helpdesk.manager_name]
    assert answer.json["created_by"].startswith("agent:")
    assert api.get(f"/portal/tickets/{answer.json['number']}", token=helpdesk.requester).status == 200
    unknown = api.post("/agent/tickets", {"requester_id": "nobody", "subject": "x", "description": "y"},
                       token=helpdesk.agent)
    assert unknown.status == 400


def test_agents_filter_tickets_by_status_assignee_organization_and_requester(helpdesk, api):
    a = helpdesk.open_ticket("A")
    b = helpdesk.open_ticket("B")
    stranger = api.post("/portal/tickets", {"subject": "C", "description": "z"}, token=helpdesk.stranger).json
    helpdesk.agent_patch(a["number"], assignees=[helpdesk.manager_name], status="open")

    def numbers(query: str) -> list[int]:
        answer = api.get(f"/agent/tickets{query}", token=helpdesk.agent)
        assert answer.status == 200, answer.json
        return [t["number"] for t in answer.json["items"]]

    assert numbers("") == [a["number"], stranger["number"], b["number"]]
    assert numbers("?status=open") == [a["number"]]
    assert numbers(f"?assignee={helpdesk.manager_name}") == [a["number"]]
    assert numbers(f"?organization_id={helpdesk.org_id}") == [a["number"], b["number"]]
    assert numbers(f"?organization_id={helpdesk.org_id}&status=new") == [b["number"]]
    assert numbers(f"?requester_id={helpdesk.stranger_id}") == [stranger["number"]]
    # Filters combine.
    assert numbers(f"?requester_id={helpdesk.requester_id}&status=open") == [a["number"]]
    assert numbers(f"?requester_id={helpdesk.requester_id}&organization_id={helpdesk.org_id}") == [
        a["number"], b["number"]]
    assert numbers(f"?requester_id={helpdesk.stranger_id}&organization_id={helpdesk.org_id}") == []


def test_status_filters_within_a_requester_or_organization_follow_every_status_change(helpdesk, api):
    """Status is part of the requester's and organization's index keys: every way a status
    changes (create, agent update, a client's reply reopening) moves the ticket between them."""
    a = helpdesk.open_ticket("A")
    b = helpdesk.open_ticket("B")
    helpdesk.agent_patch(a["number"], status="resolved")

    def agent(query: str) -> list[int]:
        answer = api.get(f"/agent/tickets{query}", token=helpdesk.agent)
        assert answer.status == 200, answer.json
        return [t["number"] for t in answer.json["items"]]

    def portal(query: str, token: str) -> list[int]:
        answer = api.get(f"/portal/tickets{query}", token=token)
        assert answer.status == 200, answer.json
        return [t["number"] for t in answer.json["items"]]

    requester, org = f"?requester_id={helpdesk.requester_id}", f"?organization_id={helpdesk.org_id}"
    assert agent(f"{requester}&status=resolved") == [a["number"]]
    assert agent(f"{requester}&status=new&organization_id={helpdesk.org_id}") == [b["number"]]
    assert agent(f"{requester}&status=new&organization_id=elsewhere") == []
    assert agent(f"{org}&status=resolved") == [a["number"]]
    assert portal("?status=resolved", helpdesk.requester) == [a["number"]]
    assert portal("?scope=organization&status=new", helpdesk.org_admin) == [b["number"]]

    api.post(f"/portal/tickets/{a['number']}/notes", {"body": "Still broken"}, token=helpdesk.requester)
    assert agent(f"{requester}&status=resolved") == agent(f"{org}&status=resolved") == []
    assert agent(f"{requester}&status=open") == agent(f"{org}&status=open") == [a["number"]]
    assert portal("?status=open", helpdesk.requester) == [a["number"]]
    assert portal("?scope=organization&status=open", helpdesk.org_admin) == [a["number"]]
    helpdesk.agent_patch(b["number"], block_client_view=True)
    assert portal("?status=new", helpdesk.requester) == []
    assert agent(f"{requester}&status=new") == [b["number"]]


def test_an_agents_queue_by_status_follows_every_status_change(helpdesk, api):
    """The assignment items carry the ticket's status: "my open tickets" is one index."""
    a = helpdesk.open_ticket("A")
    b = helpdesk.open_ticket("B")
    me, other = helpdesk.manager_name, helpdesk.other_manager_name

    def queue(agent: str, status: str) -> list[int]:
        answer = api.get(f"/agent/tickets?assignee={agent}&status={status}", token=helpdesk.agent)
        assert answer.status == 200, answer.json
        return [t["number"] for t in answer.json["items"]]

    helpdesk.agent_patch(a["number"], assignees=[me])  # assigned while new
    helpdesk.agent_patch(b["number"], assignees=[me], status="open")  # assigned and opened at once
    assert queue(me, "new") == [a["number"]] and queue(me, "open") == [b["number"]]
    helpdesk.agent_patch(a["number"], status="resolved")
    assert queue(me, "new") == [] and queue(me, "resolved") == [a["number"]]
    api.post(f"/portal/tickets/{a['number']}/notes", {"body": "Still broken"}, token=helpdesk.requester)
    assert queue(me, "resolved") == [] and queue(me, "open") == [b["number"], a["number"]]
    helpdesk.agent_patch(a["number"], assignees=[other])
    assert queue(me, "open") == [b["number"]] and queue(other, "open") == [a["number"]]
    created = api.post("/agent/tickets", {"requester_id": helpdesk.requester_id, "subject": "Call", "description": "x",
                                          "status": "pending", "assignees": [other]}, token=helpdesk.manager).json
    assert queue(other, "pending") == [created["number"]]


def test_agent_ticket_lists_page(helpdesk, api):
    for n in range(5):
        helpdesk.open_ticket(f"T{n}")
    seen, cursor = [], None
    while True:
        answer = api.get("/agent/tickets?limit=2" + (f"&cursor={cursor}" if cursor else ""), token=helpdesk.agent)
        seen += [t["subject"] for t in answer.json["items"]]
        cursor = answer.json["next_cursor"]
        if not cursor:
            break
    assert seen == ["T4", "T3", "T2", "T1", "T0"]


def test_reassigning_updates_the_agents_queues(helpdesk, api):
    ticket = helpdesk.open_ticket()
    n = ticket["number"]
    helpdesk.agent_patch(n, assignees=[helpdesk.manager_name])
    helpdesk.agent_patch(n, assignees=[helpdesk.other_manager_name])
    assert api.get(f"/agent/tickets?assignee={helpdesk.manager_name}", token=helpdesk.agent).json["items"] == []
    queue = api.get(f"/agent/tickets?assignee={helpdesk.other_manager_name}", token=helpdesk.agent).json["items"]
    assert [t["number"] for t in queue] == [n]
    assert helpdesk.agent_patch(n, assignees=["no-such-agent"]).status == 400


def test_a_stale_version_is_a_409(helpdesk, api):
    ticket = helpdesk.open_ticket()
    n = ticket["number"]
    version = api.get(f"/agent/tickets/{n}", token=helpdesk.agent).json["version"]
    assert helpdesk.agent_patch(n, status="open", version=version).status == 200
    stale = helpdesk.agent_patch(n, status="pending", version=version)
    assert stale.status == 409 and stale.code == "conflict"
    fresh = api.get(f"/agent/tickets/{n}", token=helpdesk.agent).json["version"]
    assert helpdesk.agent_patch(n, status="pending", version=fresh).status == 200


def test_removed_clients_tickets_keep_the_requesters_name_and_email(helpdesk, api, portal):
    ticket = helpdesk.open_ticket()
    assert api.delete(f"/agent/clients/{helpdesk.requester_id}", token=portal.agent_token).status == 204
    kept = api.get(f"/agent/tickets/{ticket['number']}", token=helpdesk.agent).json
    assert kept["requester"]["email"] == "rita@acme.test" and kept["requester"]["name"]
    assert kept["subject"] == ticket["subject"]


def test_notes_written_at_the_same_time_are_all_kept(helpdesk):
    from chalicelib.identity import ActingAgent
    from chalicelib.services import notes, ticket_reads

    number = helpdesk.open_ticket()["number"]
    errors: list[Exception] = []

    def write(n: int) -> None:
        try:
            author = ActingAgent(f"agent{n}", None, frozenset(), name=f"Agent {n}")
            notes.add_note(ticket_reads.load(number), author, f"note {n}")
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    found, _ = notes.list_notes(number, ActingAgent("reader", None, frozenset()))
    assert sorted(note.body for note in found) == ["note 0", "note 1", "note 2"]
    assert int(ticket_reads.load(number).public_notes) == 3


def test_only_what_a_client_can_see_moves_a_ticket_in_the_clients_lists(helpdesk, api, clock):
    """product.md §3: internal notes are never counted in anything a client sees; nor are
    assignees or the block flag, which clients never see."""
    old = helpdesk.open_ticket("Old")["number"]
    clock.advance(minutes=1)
    new = helpdesk.open_ticket("New")["number"]
    # Both already open: an agent's first public reply would move a `new` ticket out of a status list.
    for number in (old, new):
        clock.advance(minutes=1)
        assert helpdesk.agent_patch(number, status="open").status == 200
    lists = [(helpdesk.requester, "/portal/tickets"), (helpdesk.requester, "/portal/tickets?status=open"),
             (helpdesk.org_admin, "/portal/tickets?scope=organization"),
             (helpdesk.org_admin, "/portal/tickets?scope=organization&status=open")]

    def seen_by_clients() -> list:
        listed = [[(t["number"], t["updated_at"]) for t in api.get(path, token=token).json["items"]]
                  for token, path in lists]
        return [listed, api.get(f"/portal/tickets/{old}", token=helpdesk.requester).json]

    before = seen_by_clients()
    assert [n for n, _ in before[0][0]] == [new, old]
    clock.advance(minutes=1)
    assert api.post(f"/agent/tickets/{old}/notes", {"body": "Internal only", "internal": True},
                    token=helpdesk.manager).status == 201
    assert helpdesk.agent_patch(old, assignees=[helpdesk.other_manager_name]).status == 200
    assert helpdesk.agent_patch(old, block_client_view=True).status == 200
    assert helpdesk.agent_patch(old, block_client_view=False).status == 200
    assert seen_by_clients() == before
    # Agents see the real activity: the ticket moved up in their list and its time changed.
    agent_list = api.get("/agent/tickets", token=helpdesk.agent).json["items"]
    assert [t["number"] for t in agent_list] == [old, new]
    assert agent_list[0]["updated_at"] > before[1]["updated_at"]

    clock.advance(minutes=1)
    assert api.post(f"/agent/tickets/{old}/notes", {"body": "Toner ordered."}, token=helpdesk.manager).status == 201
    after = seen_by_clients()
    assert [[n for n, _ in listed] for listed in after[0]] == [[old, new]] * 4
    assert after[1]["updated_at"] > before[1]["updated_at"] and after[1]["public_note_count"] == 1
    clock.advance(minutes=1)
    assert helpdesk.agent_patch(new, priority="high").status == 200
    assert [n for n, _ in seen_by_clients()[0][0]] == [new, old]


def test_a_long_conversation_is_paged_for_clients_and_never_cut_off(helpdesk, api, monkeypatch):
    from chalicelib.routes import portal_tickets

    monkeypatch.setattr(portal_tickets, "CONVERSATION_PAGE", 3)
    n = helpdesk.open_ticket()["number"]
    for body, internal in (("p1", False), ("i1", True), ("p2", False), ("p3", False), ("i2", True), ("p4", False),
                           ("p5", False)):
        api.post(f"/agent/tickets/{n}/notes", {"body": body, "internal": internal}, token=helpdesk.agent)
    view = api.get(f"/portal/tickets/{n}", token=helpdesk.requester).json
    assert [note["body"] for note in view["notes"]] == ["p1", "p2", "p3"]
    seen, cursor = [], view["next_notes_cursor"]
    while cursor:
        answer = api.get(f"/portal/tickets/{n}/notes?limit=1&cursor={cursor}", token=helpdesk.requester)
        assert answer.status == 200, answer.json
        seen += [note["body"] for note in answer.json["items"]]
        cursor = answer.json["next_cursor"]
    assert seen == ["p4", "p5"]
    assert [note["body"] for note in api.get(f"/portal/tickets/{n}/notes", token=helpdesk.requester).json["items"]] \
        == ["p1", "p2", "p3", "p4", "p5"]
    assert api.get(f"/portal/tickets/{n}/notes", token=helpdesk.stranger).status == 404
    agents_cursor = api.get(f"/agent/tickets/{n}/notes?limit=1", token=helpdesk.agent).json["next_cursor"]
    assert api.get(f"/portal/tickets/{n}/notes?cursor={agents_cursor}", token=helpdesk.requester).status == 400


def test_a_short_conversation_comes_whole_with_the_ticket(helpdesk, api):
    n = helpdesk.open_ticket()["number"]
    api.post(f"/agent/tickets/{n}/notes", {"body": "Hello"}, token=helpdesk.agent)
    view = api.get(f"/portal/tickets/{n}", token=helpdesk.requester).json
    assert [note["body"] for note in view["notes"]] == ["Hello"] and view["next_notes_cursor"] is None


def test_an_agents_queue_filtered_by_organization_or_requester_fills_its_pages(helpdesk, api, monkeypatch):
    """Assignment items know no organization: the tickets are filtered after reading. The
    newest index page holds none of the other organization's tickets; the first answer must
    still bring them, and paging brings each matching ticket once, with no empty pages."""
    theirs = [api.post("/portal/tickets", {"subject": f"Initech {i}", "description": "z"},
                       token=helpdesk.stranger).json["number"] for i in range(3)]
    ours = [helpdesk.open_ticket(f"Acme {i}")["number"] for i in range(4)]
    for number in theirs + ours:
        assert helpdesk.agent_patch(number, assignees=[helpdesk.manager_name]).status == 200
    queue = f"/agent/tickets?assignee={helpdesk.manager_name}"

    def pages(query: str) -> list[list[int]]:
        found, cursor = [], None
        while True:
            answer = api.get(query + (f"&cursor={cursor}" if cursor else ""), token=helpdesk.agent)
            assert answer.status == 200, answer.json
            found.append([t["number"] for t in answer.json["items"]])
            cursor = answer.json["next_cursor"]
            if not cursor:
                return found

    newest_first = ours[::-1] + theirs[::-1]
    assert pages(f"{queue}&limit=2") == [newest_first[0:2], newest_first[2:4], newest_first[4:6], newest_first[6:]]
    initech = api.get(f"/agent/tickets/{theirs[0]}", token=helpdesk.agent).json["organization_id"]
    assert pages(f"{queue}&organization_id={initech}&limit=2") == [theirs[::-1][:2], theirs[::-1][2:]]
    assert pages(f"{queue}&requester_id={helpdesk.stranger_id}&limit=3") == [theirs[::-1]]
    assert pages(f"{queue}&requester_id={helpdesk.requester_id}&status=new&limit=3") == [
        ours[::-1][:3], ours[::-1][3:]]
    # At most QUEUE_INDEX_PAGES index pages per request: past that, a short page with a cursor.
    from chalicelib.services import ticket_reads

    monkeypatch.setattr(ticket_reads, "QUEUE_INDEX_PAGES", 1)
    bounded = pages(f"{queue}&requester_id={helpdesk.stranger_id}&limit=2")
    assert bounded[:2] == [[], []] and [n for page in bounded for n in page] == theirs[::-1]
