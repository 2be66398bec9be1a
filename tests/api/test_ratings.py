"""Satisfaction rating (product.md §4) and idempotent creates (api.md)."""

from __future__ import annotations


def _resolved(helpdesk, subject="Fix me", assignees=None):
    n = helpdesk.open_ticket(subject)["number"]
    if assignees:
        helpdesk.agent_patch(n, assignees=assignees)
    helpdesk.agent_patch(n, status="resolved")
    return n


def test_the_requester_rates_a_resolved_ticket_when_rating_is_on(helpdesk, api):
    helpdesk.set_settings(allow_client_rating=True)
    n = _resolved(helpdesk)
    answer = api.post(f"/portal/tickets/{n}/rating", {"score": 4, "comment": "Quick!"}, token=helpdesk.requester)
    assert answer.status == 200 and answer.json["rating"]["score"] == 4
    assert api.get(f"/agent/tickets/{n}", token=helpdesk.agent).json["rating"]["comment"] == "Quick!"


def test_rating_is_refused_when_off_unresolved_by_others_or_out_of_range(helpdesk, api):
    n = _resolved(helpdesk)
    off = api.post(f"/portal/tickets/{n}/rating", {"score": 5}, token=helpdesk.requester)
    # api.md's 403 codes only: `forbidden`, with a message that says why
    assert (off.status, off.code, off.json["message"]) == (403, "forbidden", "Rating is not enabled on this portal.")
    helpdesk.set_settings(allow_client_rating=True)
    open_ticket = helpdesk.open_ticket("Open")["number"]
    assert api.post(f"/portal/tickets/{open_ticket}/rating", {"score": 5}, token=helpdesk.requester).status == 409
    assert api.post(f"/portal/tickets/{n}/rating", {"score": 5}, token=helpdesk.org_admin).status == 403
    for bad in ({"score": 0}, {"score": 6}, {"score": "5"}, {"score": 3, "comment": "x" * 2001}):
        assert api.post(f"/portal/tickets/{n}/rating", bad, token=helpdesk.requester).status == 400


def test_the_ratings_report_averages_per_agent_against_the_team(helpdesk, api):
    helpdesk.set_settings(allow_client_rating=True)
    a = _resolved(helpdesk, "A", [helpdesk.manager_name])
    b = _resolved(helpdesk, "B", [helpdesk.manager_name, helpdesk.other_manager_name])
    c = _resolved(helpdesk, "C", [helpdesk.other_manager_name])
    for number, score in ((a, 5), (b, 3), (c, 1)):
        api.post(f"/portal/tickets/{number}/rating", {"score": score}, token=helpdesk.requester)
    assert api.get("/agent/reports/ratings", token=helpdesk.agent).status == 403
    report = api.get("/agent/reports/ratings", token=helpdesk.admin).json
    per_agent = {row["agent"]: (row["count"], row["average"]) for row in report["agents"]}
    assert per_agent == {helpdesk.manager_name: (2, 4.0), helpdesk.other_manager_name: (2, 2.0)}
    assert report["team"] == {"count": 3, "average": 3.0}


def test_the_ratings_report_names_each_agent_with_one_cognito_read_each(helpdesk, api, agents, monkeypatch):
    from chalicelib.services import agents as agent_service
    from tests.api.tickets_fixtures import username_of

    named = username_of(agents.token("nina@helpdesk.test", ["manage-tickets"], name="Nina Noor"))
    helpdesk.set_settings(allow_client_rating=True)
    for subject in ("A", "B", "C"):  # three tickets, two agents
        n = _resolved(helpdesk, subject, [named, helpdesk.manager_name])
        api.post(f"/portal/tickets/{n}/rating", {"score": 4}, token=helpdesk.requester)
    reads: list[str] = []
    real_get_user = agent_service._get_user
    monkeypatch.setattr(agent_service, "_get_user", lambda username: reads.append(username) or real_get_user(username))
    report = api.get("/agent/reports/ratings", token=helpdesk.admin).json
    shown = {row["agent"]: (row["name"], row["email"], row["count"]) for row in report["agents"]}
    assert shown == {named: ("Nina Noor", "nina@helpdesk.test", 3),
                     helpdesk.manager_name: (None, "manager@helpdesk.test", 3)}
    assert sorted(reads) == sorted([named, helpdesk.manager_name])  # once per agent, not per ticket


def test_a_retried_create_with_the_same_idempotency_key_creates_nothing_new(helpdesk, api, outbox):
    body = {"subject": "Once", "description": "Only once"}
    headers = {"Idempotency-Key": "create-42"}
    first = api.post("/portal/tickets", body, token=helpdesk.requester, headers=headers)
    again = api.post("/portal/tickets", body, token=helpdesk.requester, headers=headers)
    assert first.status == again.status == 201 and first.json == again.json
    assert len(api.get("/portal/tickets", token=helpdesk.requester).json["items"]) == 1
    assert len(outbox.messages("ticket-created", "rita@acme.test")) == 1
    different = api.post("/portal/tickets", {**body, "subject": "Other"}, token=helpdesk.requester, headers=headers)
    assert different.status == 409


def test_idempotent_notes_and_agent_creates(helpdesk, api):
    n = helpdesk.open_ticket()["number"]
    headers = {"Idempotency-Key": "note-1"}
    for _ in range(2):
        assert api.post(f"/agent/tickets/{n}/notes", {"body": "once"}, token=helpdesk.agent,
                        headers=headers).status == 201
        assert api.post(f"/portal/tickets/{n}/notes", {"body": "me too"}, token=helpdesk.requester,
                        headers=headers).status == 201
        assert api.post("/agent/tickets", {"requester_id": helpdesk.requester_id, "subject": "S",
                                           "description": "D"}, token=helpdesk.agent, headers=headers).status == 201
    assert len(api.get(f"/agent/tickets/{n}/notes", token=helpdesk.agent).json["items"]) == 2
    assert len(api.get("/agent/tickets", token=helpdesk.agent).json["items"]) == 2


def test_the_ratings_report_takes_a_time_range(helpdesk, api, clock, portal):
    helpdesk.set_settings(allow_client_rating=True)
    early = _resolved(helpdesk, "Early", [helpdesk.manager_name])
    api.post(f"/portal/tickets/{early}/rating", {"score": 2}, token=helpdesk.requester)
    clock.advance(days=10)
    helpdesk.requester = portal.bearer(portal.login("rita@acme.test").json["token"])  # 10 days: a new session
    late = _resolved(helpdesk, "Late", [helpdesk.manager_name])
    api.post(f"/portal/tickets/{late}/rating", {"score": 4}, token=helpdesk.requester)
    since = (clock.now().date()).isoformat() + "T00:00:00Z"
    report = api.get(f"/agent/reports/ratings?from={since}", token=helpdesk.admin).json
    assert report["team"] == {"count": 1, "average": 4.0}
    assert api.get("/agent/reports/ratings?from=yesterday", token=helpdesk.admin).status == 400
