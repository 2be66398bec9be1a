"""Ticket creates and notes claim their Idempotency-Key in the transaction that writes them
(services/idempotency.py WriteOnce): the portal page sends a key with every create and reply,
so the key must cost no call of its own. A retry answers the first answer; the same key with
another body is 409; two requests racing with one key make one ticket or note and one set of
mails."""

from __future__ import annotations

import os

import pytest

from bench import dynamo


@pytest.fixture
def warm_container():
    """Settings cached as in a deployed container (the suite otherwise reads them fresh)."""
    from chalicelib import config
    from chalicelib.services import settings

    before = os.environ["PORTICO_SETTINGS_CACHE_SECONDS"]
    os.environ["PORTICO_SETTINGS_CACHE_SECONDS"] = "600"
    config.reset()
    settings.clear_cache()
    settings.get_settings()
    yield
    os.environ["PORTICO_SETTINGS_CACHE_SECONDS"] = before
    config.reset()
    settings.clear_cache()


def _counted(api, path, body, token, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    with dynamo.counting() as calls:
        answer = api.post(path, body, token=token, headers=headers)
    return answer, calls


def test_a_page_sent_create_costs_what_one_without_a_key_costs_and_a_replay_less(helpdesk, api, warm_container):
    body = {"subject": "Printer", "description": "On fire."}
    plain, plain_calls = _counted(api, "/portal/tickets", body, helpdesk.requester)
    keyed, keyed_calls = _counted(api, "/portal/tickets", body, helpdesk.requester, key="create-1")
    again, again_calls = _counted(api, "/portal/tickets", body, helpdesk.requester, key="create-1")
    assert plain.status == keyed.status == again.status == 201
    assert plain_calls.total == keyed_calls.total <= 3, (plain_calls.summary(), keyed_calls.summary())
    assert keyed_calls.operations["TransactWriteItems"] == 1
    # The session read with the key's record (one BatchGetItem), the number, the transaction.
    assert keyed_calls.total == 3 and keyed_calls.operations["BatchGetItem"] == 1, keyed_calls.summary()
    # The replay is answered from that first read: no number taken, nothing written.
    assert again_calls.total == 1 and again_calls.operations["BatchGetItem"] == 1, again_calls.summary()
    assert again.json == keyed.json


def test_a_page_sent_reply_costs_three_calls_and_a_replay_two(helpdesk, api, warm_container):
    number = helpdesk.open_ticket()["number"]
    path = f"/portal/tickets/{number}/notes"
    plain, plain_calls = _counted(api, path, {"body": "Still on fire."}, helpdesk.requester)
    keyed, keyed_calls = _counted(api, path, {"body": "Now smoking."}, helpdesk.requester, key="reply-1")
    again, again_calls = _counted(api, path, {"body": "Now smoking."}, helpdesk.requester, key="reply-1")
    assert plain.status == keyed.status == again.status == 201
    assert plain_calls.total <= 3 and keyed_calls.total <= 3, (plain_calls.summary(), keyed_calls.summary())
    assert again_calls.total == 2, again_calls.summary()  # the session, then the ticket with the key's record
    assert again.json == keyed.json


def test_agent_creates_and_notes_with_a_key_stay_within_their_budgets(helpdesk, api, warm_container):
    body = {"requester_id": helpdesk.requester_id, "subject": "Call", "description": "VPN."}
    created, create_calls = _counted(api, "/agent/tickets", body, helpdesk.agent, key="a-1")
    noted, note_calls = _counted(api, f"/agent/tickets/{created.json['number']}/notes", {"body": "Called back."},
                                 helpdesk.agent, key="a-1")
    assert created.status == noted.status == 201
    assert create_calls.total <= 3 and note_calls.total <= 3, (create_calls.summary(), note_calls.summary())
    # The requester is read with the key's record: a retry takes no number and writes nothing.
    again, again_calls = _counted(api, "/agent/tickets", body, helpdesk.agent, key="a-1")
    assert again.status == 201 and again.json == created.json  # the first answer, its version included
    assert again_calls.total == 1 and again_calls.operations["BatchGetItem"] == 1, again_calls.summary()


def test_a_create_replay_takes_no_ticket_number(helpdesk, api):
    headers = {"Idempotency-Key": "numbers"}
    body = {"subject": "Printer", "description": "On fire."}
    first = api.post("/portal/tickets", body, token=helpdesk.requester, headers=headers)
    assert api.post("/portal/tickets", body, token=helpdesk.requester, headers=headers).json == first.json
    after = api.post("/portal/tickets", {**body, "subject": "Next"}, token=helpdesk.requester)
    assert after.json["number"] == first.json["number"] + 1


def test_a_refused_create_claims_no_key_and_a_refusal_comes_before_a_replay(helpdesk, api):
    headers = {"Idempotency-Key": "refused"}
    body = {"subject": "Printer", "description": "On fire."}
    assert api.post("/portal/tickets", {"subject": ""}, token=helpdesk.requester, headers=headers).status == 400
    first = api.post("/portal/tickets", body, token=helpdesk.requester, headers=headers)
    assert first.status == 201  # the 400 claimed nothing
    assert api.post("/portal/tickets", body, headers=headers).status == 401
    assert api.post("/portal/tickets", body, token="nobody.secret", headers=headers).status == 401
    too_long = api.post("/portal/tickets", body, token=helpdesk.requester, headers={"Idempotency-Key": "x" * 201})
    assert too_long.status == 400 and too_long.json["fields"] == {"Idempotency-Key": "invalid"}


def test_a_read_only_view_is_refused_even_a_replay_of_the_clients_own_create(api, portal):
    client, session = portal.active_client("ana@example.com")
    headers = {"Idempotency-Key": "mine"}
    body = {"subject": "Hi", "description": "Mine."}
    assert api.post("/portal/tickets", body, token=portal.bearer(session), headers=headers).status == 201
    view = api.post(f"/agent/clients/{client['id']}/impersonate", token=portal.agent_token)
    refused = api.post("/portal/tickets", body, token=portal.bearer(view.json["token"]), headers=headers)
    assert (refused.status, refused.code) == (403, "read_only")


def test_a_replay_answers_the_first_answer_and_writes_nothing(helpdesk, api, outbox):
    number = helpdesk.open_ticket()["number"]
    headers = {"Idempotency-Key": "reply-2"}
    first = api.post(f"/portal/tickets/{number}/notes", {"body": "Once"}, token=helpdesk.requester, headers=headers)
    api.post(f"/agent/tickets/{number}/notes", {"body": "An agent's note between"}, token=helpdesk.agent)
    again = api.post(f"/portal/tickets/{number}/notes", {"body": "Once"}, token=helpdesk.requester, headers=headers)
    assert first.status == again.status == 201 and first.json == again.json
    notes = api.get(f"/agent/tickets/{number}/notes", token=helpdesk.agent).json["items"]
    assert [n["body"] for n in notes] == ["Once", "An agent's note between"]


def test_the_same_key_with_another_body_is_the_conflict_it_always_was(helpdesk, api):
    headers = {"Idempotency-Key": "k"}
    body = {"subject": "Once", "description": "Only once"}
    assert api.post("/portal/tickets", body, token=helpdesk.requester, headers=headers).status == 201
    other = api.post("/portal/tickets", {**body, "subject": "Other"}, token=helpdesk.requester, headers=headers)
    assert other.status == 409 and other.code == "conflict"
    assert other.json["message"] == "This Idempotency-Key was already used for a different request."
    number = helpdesk.open_ticket()["number"]
    path = f"/portal/tickets/{number}/notes"
    assert api.post(path, {"body": "a"}, token=helpdesk.requester, headers=headers).status == 201
    assert api.post(path, {"body": "b"}, token=helpdesk.requester, headers=headers).code == "conflict"
    assert len(api.get(f"/portal/tickets/{number}", token=helpdesk.requester).json["notes"]) == 1


def test_keys_are_per_route_and_caller(helpdesk, api):
    headers = {"Idempotency-Key": "shared"}
    body = {"subject": "Mine", "description": "Mine."}
    mine = api.post("/portal/tickets", body, token=helpdesk.requester, headers=headers)
    theirs = api.post("/portal/tickets", body, token=helpdesk.stranger, headers=headers)
    assert mine.status == theirs.status == 201 and mine.json["number"] != theirs.json["number"]


def _racing(monkeypatch, api, method_path_body_token):
    """The request under test is held just before its transaction while the same request is
    sent again and completes: both passed every read before either wrote."""
    from chalicelib.services.transaction_plan import TransactionPlan

    real_write = TransactionPlan.write
    raced: list = []
    holding: list = []

    def write(plan, connection):
        if plan.idempotency is not None and not holding:
            holding.append(True)  # the second request's own write goes straight through
            path, body, token, headers = method_path_body_token
            raced.append(api.post(path, body, token=token, headers=headers))
        return real_write(plan, connection)

    monkeypatch.setattr(TransactionPlan, "write", write)
    path, body, token, headers = method_path_body_token
    held = api.post(path, body, token=token, headers=headers)
    return held, raced[0]


def test_two_creates_racing_with_one_key_make_one_ticket_and_one_set_of_mails(helpdesk, api, outbox, monkeypatch):
    request = ("/portal/tickets", {"subject": "Race", "description": "Twice at once."}, helpdesk.requester,
               {"Idempotency-Key": "race-1"})
    held, raced = _racing(monkeypatch, api, request)
    assert held.status == raced.status == 201 and held.json == raced.json
    assert [t["subject"] for t in api.get("/portal/tickets", token=helpdesk.requester).json["items"]] == ["Race"]
    assert len(outbox.messages("ticket-created", "rita@acme.test")) == 1


def test_two_replies_racing_with_one_key_make_one_note_and_one_set_of_mails(helpdesk, api, outbox, monkeypatch):
    number = helpdesk.open_ticket()["number"]
    helpdesk.agent_patch(number, assignees=[helpdesk.manager_name])
    before = len(outbox.messages())
    request = (f"/portal/tickets/{number}/notes", {"body": "At once"}, helpdesk.requester,
               {"Idempotency-Key": "race-2"})
    held, raced = _racing(monkeypatch, api, request)
    assert held.status == raced.status == 201 and held.json == raced.json
    assert [n["body"] for n in api.get(f"/portal/tickets/{number}", token=helpdesk.requester).json["notes"]] == \
        ["At once"]
    assert len(outbox.messages()) - before == 1  # the assignee's mail, once
