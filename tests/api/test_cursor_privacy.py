"""A list page's cursor is made from the last item the caller was given, never from an item
the filter left out (a blocked ticket, an internal note): DynamoDB's LastEvaluatedKey may be
one (issue 13, item 5). Cursors are encrypted anyway; this is about what they could carry."""

from __future__ import annotations

import pytest


@pytest.fixture
def cursor_keys(monkeypatch):
    """The keys the cursors of this test were made from, in order."""
    from chalicelib import cursor

    made: list[dict] = []
    original = cursor.encode_cursor

    def recording(binding, last_key):
        if last_key:
            made.append(last_key)
        return original(binding, last_key)

    monkeypatch.setattr(cursor, "encode_cursor", recording)
    return made


class EvaluatedLast:
    """A Query result as real DynamoDB gives it when its page ended on an item the filter left
    out: its LastEvaluatedKey is that item's (moto filters before it applies Limit, so it never
    does). Iterates the real result's items."""

    def __init__(self, real, hidden_item):
        self.real, self.page_iter = real, real.page_iter
        stored = hidden_item.serialize()
        self.hidden_key = {name: stored[name] for name in real.page_iter.key_names}

    def __iter__(self):
        return iter(self.real)

    @property
    def last_evaluated_key(self):
        return self.hidden_key if self.real.last_evaluated_key else None


def _evaluating_last(monkeypatch, owner, hidden_item):
    original = owner.query

    def query(*args, **kwargs):
        return EvaluatedLast(original(*args, **kwargs), hidden_item)

    monkeypatch.setattr(owner, "query", query)


def test_a_clients_ticket_page_ending_on_a_blocked_ticket_continues_after_the_last_one_shown(
        api, helpdesk, cursor_keys, monkeypatch):
    from chalicelib.models.tickets import TicketModel

    t0, t1, t2, t3, t4 = (helpdesk.open_ticket(f"T{n}")["number"] for n in range(5))
    for hidden in (t1, t3):
        assert helpdesk.agent_patch(hidden, block_client_view=True).status == 200
    _evaluating_last(monkeypatch, TicketModel.by_requester_client_activity, TicketModel.get(str(t1)))
    # Newest first: t4, t3 (hidden), t2, t1 (hidden), t0. Two a page: DynamoDB evaluates t4 and t3,
    # then t2 and t1: its last evaluated key is t1's, which the client must never be handed.
    first = api.get("/portal/tickets?limit=2", token=helpdesk.requester).json
    assert [t["number"] for t in first["items"]] == [t4, t2]
    hidden_ids = {str(t1), str(t3)}
    assert all(key["id"]["S"] not in hidden_ids for key in cursor_keys), cursor_keys
    assert first["next_cursor"] and cursor_keys[-1]["id"]["S"] == str(t2)
    rest = api.get(f"/portal/tickets?limit=2&cursor={first['next_cursor']}", token=helpdesk.requester).json
    assert [t["number"] for t in rest["items"]] == [t0]


def test_a_clients_notes_page_ending_on_an_internal_note_continues_after_the_last_one_shown(
        api, helpdesk, cursor_keys, monkeypatch):
    from chalicelib.models.notes import NoteModel

    number = helpdesk.open_ticket()["number"]
    bodies = [("public 1", False), ("internal 1", True), ("public 2", False), ("internal 2", True),
              ("public 3", False)]
    for body, internal in bodies:
        answer = api.post(f"/agent/tickets/{number}/notes", {"body": body, "internal": internal},
                          token=helpdesk.agent)
        assert answer.status == 201, answer.json
    internal = [note for note in NoteModel.query(str(number)) if note.internal]
    # Two a page: DynamoDB evaluates public 1 and internal 1, then public 2 and internal 2.
    _evaluating_last(monkeypatch, NoteModel, internal[-1])
    first = api.get(f"/portal/tickets/{number}/notes?limit=2", token=helpdesk.requester).json
    shown = [note["body"] for note in first["items"]]
    assert shown == ["public 1", "public 2"] and first["next_cursor"]
    internal_ids = {note["id"] for note in api.get(f"/agent/tickets/{number}/notes",
                                                     token=helpdesk.agent).json["items"] if note["internal"]}
    assert internal_ids and all(key["id"]["S"] not in internal_ids for key in cursor_keys), cursor_keys
    seen, cursor = list(shown), first["next_cursor"]
    while cursor:
        page = api.get(f"/portal/tickets/{number}/notes?limit=2&cursor={cursor}", token=helpdesk.requester).json
        seen += [note["body"] for note in page["items"]]
        cursor = page["next_cursor"]
    assert seen == ["public 1", "public 2", "public 3"]
    assert all(key["id"]["S"] not in internal_ids for key in cursor_keys), cursor_keys


def test_the_key_after_the_last_item_returned_is_rebuilt_from_that_item():
    from chalicelib.models.base import key_after_returned
    from chalicelib.models.notes import NoteModel

    class Result:
        last_evaluated_key = {"ticket_id": {"S": "7"}, "id": {"S": "hidden-internal-note"}}

        class page_iter:  # PynamoDB's attribute name
            key_names = ("ticket_id", "id")

    shown = NoteModel("7", "01SHOWN", author_kind="agent", author_id="a", body="b")
    assert key_after_returned(Result(), [shown]) == {"ticket_id": {"S": "7"}, "id": {"S": "01SHOWN"}}
    Result.last_evaluated_key = None
    assert key_after_returned(Result(), [shown]) is None
