"""Write units per ticket create and per note (README, "Write units"): items written with
their index entries, priced by the bench's counter (bench/writes.py: each written item read from
the local stand-in before and after its write, its index entries from the models' indexes).

Each figure is the request as the portal page sends it (with an Idempotency-Key where the
page sends one) plus the delivery of the mail it queued: a requester in an organization, an
assigned ticket, an 800-character description and 500-character notes.
"""

from __future__ import annotations

import pytest

from bench import writes as write_units
from tests.api.tickets_fixtures import username_of

# README "Write units": before issue 14 a create cost 43 WU (28 items), an agent's public note 43
# (23), a portal reply 45 (25). Issue 14 asks for at least 40 % less: these are 60 % of those.
BEFORE = {"create": 43, "agent public note": 43, "portal reply": 45}
MAX_UNITS = {name: int(units * 0.6) for name, units in BEFORE.items()}


@pytest.fixture
def measured(api, agents, admin_token, portal, mailbox):
    org = api.post("/agent/organizations", {"name": "Acme"}, token=admin_token).json
    _, session = portal.active_client("wu@acme.test", organization_id=org["id"])
    bearer = portal.bearer(session)
    manager = agents.token("wu-manager@helpdesk.test", ["manage-tickets"])
    mailbox.deliver()
    figures = {}
    description = ("Smoke everywhere, the printer on the third floor. " * 16)[:800]
    note = ("We are on it, the technician is on the way now. " * 11)[:500]

    def measure(name: str, method: str, path: str, body: dict, token: str, key: str | None) -> dict:
        headers = {"Idempotency-Key": key} if key else None
        with write_units.recording() as writes:
            answer = api.request(method, path, json_body=body, token=token, headers=headers)
            mailbox.deliver()
        assert answer.status == 201, answer.json
        figures[name] = writes.summary()
        return answer.json

    number = measure("create", "POST", "/portal/tickets", {"subject": "Printer on fire", "description": description},
                     bearer, "create-1")["number"]
    assert api.patch(f"/agent/tickets/{number}", {"assignees": [username_of(manager)]}, token=manager).status == 200
    mailbox.deliver()
    # An agent's first public reply also moves the ticket from new to open (issue 21), which
    # moves its status index entries too; the before-figure was a note that changed no status,
    # so the compared note is the next one, on the open ticket. The first is reported beside it.
    measure("agent first public reply (new -> open)", "POST", f"/agent/tickets/{number}/notes", {"body": note},
            manager, None)
    measure("agent public note", "POST", f"/agent/tickets/{number}/notes", {"body": note}, manager, None)
    measure("portal reply", "POST", f"/portal/tickets/{number}/notes", {"body": note}, bearer, "reply-1")
    return figures


def test_write_units_per_create_and_per_note_stay_under_their_ceilings(measured):
    for name, summary in measured.items():
        print(f"{name}: {summary['writes']} writes, {summary['units']} WU: {summary}")
    over = {name: summary for name, summary in measured.items()
            if name in MAX_UNITS and summary["units"] > MAX_UNITS[name]}
    assert not over, over


def test_a_log_in_and_a_log_out_write_no_index_entry(api, portal):
    portal.active_client("session@acme.test")
    with write_units.recording() as login_writes:
        answer = portal.login("session@acme.test")
    assert answer.status == 200, answer.json
    token = answer.json["token"]
    with write_units.recording() as logout_writes:
        assert api.post("/portal/logout", token=portal.bearer(token)).status in (200, 204)
    for writes in (login_writes, logout_writes):
        summary = writes.summary()
        assert not [index for index in summary["index_units_by_index"] if index.startswith("users.")], summary
