"""Tickets, notes and ratings: the agents' and the portal's ticket routes, the ratings
report; the ticket lists and the report against table size."""

from __future__ import annotations

import base64
import json
from typing import Any

from bench.scenarios import Request, scenario
from bench.stage import Stage

MANAGER_EMAIL = "bench-tickets@helpdesk.test"
REPORTS_EMAIL = "bench-reports@helpdesk.test"


def username_of(token: str) -> str:
    """The agent's Cognito username, from their ID token (assignees are usernames)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["cognito:username"]


def manager(stage: Stage) -> str:
    """An agent with `manage-tickets` (assigns, blocks client view)."""
    return stage.agents.token(MANAGER_EMAIL, ["manage-tickets"])


def open_ticket(stage: Stage, bearer: str | None = None, **fields: Any) -> dict[str, Any]:
    """A ticket opened by the shared client (or the client behind `bearer`) in the portal."""
    bearer = bearer or stage.shared_client[1]
    body = {"subject": stage.unique("Printer on fire"), "description": "Smoke everywhere.", **fields}
    return stage.expect(stage.api.post("/portal/tickets", body, token=bearer), 201, "open ticket")


def assigned_ticket(stage: Stage) -> dict[str, Any]:
    """A ticket of the shared client, assigned to the manager (notes mail the assignee)."""
    ticket = open_ticket(stage)
    token = manager(stage)
    answer = stage.api.patch(f"/agent/tickets/{ticket['number']}", {"assignees": [username_of(token)],
                                                                     "status": "open"}, token=token)
    return stage.expect(answer, 200, "assign ticket")


def resolved_ticket(stage: Stage) -> dict[str, Any]:
    ticket = assigned_ticket(stage)
    answer = stage.api.patch(f"/agent/tickets/{ticket['number']}", {"status": "resolved"}, token=manager(stage))
    return stage.expect(answer, 200, "resolve ticket")


def with_notes(stage: Stage, ticket: dict[str, Any], count: int = 3) -> None:
    for n in range(count):
        answer = stage.api.post(f"/agent/tickets/{ticket['number']}/notes",
                                {"body": f"Note {n}", "internal": n % 2 == 1}, token=stage.agent)
        stage.expect(answer, 201, "add note")


# --- agents ------------------------------------------------------------------------------


@scenario("GET", "/agent/tickets")
def list_tickets(stage: Stage) -> Request:
    for _ in range(3):
        open_ticket(stage)
    return Request("GET", "/agent/tickets", token=stage.agent, note="all tickets, newest first")


@scenario("POST", "/agent/tickets")
def create_ticket(stage: Stage) -> Request:
    client, _ = stage.shared_client
    token = manager(stage)
    return Request("POST", "/agent/tickets", token=token, expect=201, note="assigned (Cognito lookup)",
                   json={"requester_id": client["id"], "subject": "Phone call", "description": "Called about VPN.",
                         "assignees": [username_of(token)]})


@scenario("GET", "/agent/tickets/{number}")
def get_ticket(stage: Stage) -> Request:
    return Request("GET", f"/agent/tickets/{assigned_ticket(stage)['number']}", token=stage.agent)


@scenario("PATCH", "/agent/tickets/{number}")
def resolve_ticket(stage: Stage) -> Request:
    ticket = assigned_ticket(stage)
    return Request("PATCH", f"/agent/tickets/{ticket['number']}", token=stage.agent,
                   json={"status": "resolved", "version": ticket["version"]}, note="resolve (mails the requester)")


@scenario("GET", "/agent/tickets/{number}/notes")
def list_notes(stage: Stage) -> Request:
    ticket = assigned_ticket(stage)
    with_notes(stage, ticket)
    return Request("GET", f"/agent/tickets/{ticket['number']}/notes", token=stage.agent)


@scenario("POST", "/agent/tickets/{number}/notes")
def add_note(stage: Stage) -> Request:
    ticket = assigned_ticket(stage)
    return Request("POST", f"/agent/tickets/{ticket['number']}/notes", token=stage.agent, expect=201,
                   json={"body": "Restarted the spooler.", "notify_contact": True, "notify_assignees": True},
                   note="public, mails requester and assignee")


@scenario("GET", "/agent/reports/ratings")
def ratings_report(stage: Stage) -> Request:
    stage.set_settings(allow_client_rating=True)
    _, bearer = stage.shared_client
    for score in (4, 5):
        number = resolved_ticket(stage)["number"]
        stage.expect(stage.api.post(f"/portal/tickets/{number}/rating", {"score": score}, token=bearer), 200,
                     "rate ticket")
    return Request("GET", "/agent/reports/ratings", token=stage.agents.token(REPORTS_EMAIL, ["view-reports"]))


# --- portal ------------------------------------------------------------------------------


@scenario("GET", "/portal/tickets")
def my_tickets(stage: Stage) -> Request:
    for _ in range(3):
        open_ticket(stage)
    return Request("GET", "/portal/tickets", token=stage.shared_client[1], note="my tickets")


@scenario("POST", "/portal/tickets")
def open_ticket_route(stage: Stage) -> Request:
    return Request("POST", "/portal/tickets", token=stage.shared_client[1], expect=201,
                   json={"subject": "Printer on fire", "description": "Smoke everywhere.", "priority": "high"},
                   note="mails requester and agents")


@scenario("GET", "/portal/tickets/{number}")
def my_ticket(stage: Stage) -> Request:
    ticket = assigned_ticket(stage)
    with_notes(stage, ticket)
    return Request("GET", f"/portal/tickets/{ticket['number']}", token=stage.shared_client[1],
                   note="with its public notes")


@scenario("PATCH", "/portal/tickets/{number}")
def edit_my_ticket(stage: Stage) -> Request:
    ticket = open_ticket(stage)
    return Request("PATCH", f"/portal/tickets/{ticket['number']}", token=stage.shared_client[1],
                   json={"subject": "Printer still on fire", "priority": "urgent"})


@scenario("POST", "/portal/tickets/{number}/notes")
def reply(stage: Stage) -> Request:
    ticket = assigned_ticket(stage)
    return Request("POST", f"/portal/tickets/{ticket['number']}/notes", token=stage.shared_client[1], expect=201,
                   json={"body": "It is on fire again."}, note="mails the assignee")


@scenario("POST", "/portal/tickets/{number}/rating")
def rate(stage: Stage) -> Request:
    stage.set_settings(allow_client_rating=True)
    ticket = resolved_ticket(stage)
    return Request("POST", f"/portal/tickets/{ticket['number']}/rating", token=stage.shared_client[1],
                   json={"score": 5, "comment": "Quick and kind."})
