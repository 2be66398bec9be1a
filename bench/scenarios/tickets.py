"""Tickets, notes and ratings: the agents' and the portal's ticket routes, the ratings
report; the ticket lists and the report against table size."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.scenarios import Request, growth, scenario
from bench.stage import Stage

MANAGER_EMAIL = "bench-tickets@helpdesk.test"
REPORTS_EMAIL = "bench-reports@helpdesk.test"
PAGE = 25  # the lists' default page size


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


def full_page(stage: Stage) -> None:
    """The shared client has at least a page (25) of tickets: lists are measured full."""
    if getattr(stage, "_tickets_full_page", False):
        return
    listed = stage.expect(stage.api.get("/portal/tickets", token=stage.shared_client[1]), 200, "list tickets")
    for _ in range(PAGE - len(listed["items"])):
        open_ticket(stage)
    stage._tickets_full_page = True  # type: ignore[attr-defined]


def with_notes(stage: Stage, ticket: dict[str, Any], count: int = 3) -> None:
    for n in range(count):
        answer = stage.api.post(f"/agent/tickets/{ticket['number']}/notes",
                                {"body": f"Note {n}", "internal": n % 2 == 1}, token=stage.agent)
        stage.expect(answer, 201, "add note")


# --- agents ------------------------------------------------------------------------------


@scenario("GET", "/agent/tickets")
def list_tickets(stage: Stage) -> Request:
    full_page(stage)
    return Request("GET", "/agent/tickets", token=stage.agent, note="first page of all tickets")


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


@scenario("PATCH", "/agent/tickets/{number} (assign)")
def assign_ticket(stage: Stage) -> Request:
    ticket = open_ticket(stage)
    token = manager(stage)
    return Request("PATCH", f"/agent/tickets/{ticket['number']}", token=token, json={"assignees": [username_of(token)]},
                   note="assignee lookup in Cognito")


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
    return Request("GET", "/agent/reports/ratings", token=stage.agents.token(REPORTS_EMAIL, ["view-reports"]),
                   note="plus one Cognito AdminGetUser per agent in the report (their name and email)")


# --- portal ------------------------------------------------------------------------------


@scenario("GET", "/portal/tickets")
def my_tickets(stage: Stage) -> Request:
    full_page(stage)
    return Request("GET", "/portal/tickets", token=stage.shared_client[1], note="first page of my tickets")


def page_key(stage: Stage) -> dict[str, str]:
    """The Idempotency-Key the portal page sends with every ticket create and reply."""
    return {"Idempotency-Key": f"bench-page-{stage.serial()}"}


def replayed(stage: Stage, request: Request, note: str) -> Request:
    """`request` sent once (unmeasured); the same again is what gets measured."""
    stage.expect(stage.api.request(request.method, request.path, token=request.token, json_body=request.json,
                                   headers=request.headers), request.expect, "first send")
    return Request(request.method, request.path, token=request.token, json=request.json, headers=request.headers,
                   expect=request.expect, note=note)


def without_key(request: Request) -> Request:
    return Request(request.method, request.path, token=request.token, json=request.json, expect=request.expect,
                   note="no Idempotency-Key (an API caller may omit it)")


@scenario("POST", "/portal/tickets")
def open_ticket_route(stage: Stage) -> Request:
    return Request("POST", "/portal/tickets", token=stage.shared_client[1], expect=201, headers=page_key(stage),
                   json={"subject": "Printer on fire", "description": "Smoke everywhere.", "priority": "high"},
                   note="as the page sends it (Idempotency-Key); mails requester and agents")


@scenario("POST", "/portal/tickets (replay)")
def open_ticket_replay(stage: Stage) -> Request:
    return replayed(stage, open_ticket_route(stage), "the page's retry: the first answer again, nothing written")


@scenario("POST", "/portal/tickets (no key)")
def open_ticket_without_key(stage: Stage) -> Request:
    return without_key(open_ticket_route(stage))


@scenario("GET", "/portal/tickets/{number}")
def my_ticket(stage: Stage) -> Request:
    ticket = assigned_ticket(stage)
    with_notes(stage, ticket)
    return Request("GET", f"/portal/tickets/{ticket['number']}", token=stage.shared_client[1],
                   note="with its public notes")


@scenario("GET", "/portal/tickets/{number}/notes")
def my_ticket_notes(stage: Stage) -> Request:
    ticket = assigned_ticket(stage)
    with_notes(stage, ticket)
    return Request("GET", f"/portal/tickets/{ticket['number']}/notes", token=stage.shared_client[1],
                   note="a page of its public notes")


@scenario("PATCH", "/portal/tickets/{number}")
def edit_my_ticket(stage: Stage) -> Request:
    ticket = open_ticket(stage)
    return Request("PATCH", f"/portal/tickets/{ticket['number']}", token=stage.shared_client[1],
                   json={"subject": "Printer still on fire", "priority": "urgent"})


@scenario("POST", "/portal/tickets/{number}/notes")
def reply(stage: Stage) -> Request:
    ticket = assigned_ticket(stage)
    return Request("POST", f"/portal/tickets/{ticket['number']}/notes", token=stage.shared_client[1], expect=201,
                   json={"body": "It is on fire again."}, headers=page_key(stage),
                   note="as the page sends it (Idempotency-Key); mails the assignee")


@scenario("POST", "/portal/tickets/{number}/notes (replay)")
def reply_replay(stage: Stage) -> Request:
    return replayed(stage, reply(stage), "the page's retry: the first answer again, nothing written")


@scenario("POST", "/portal/tickets/{number}/notes (no key)")
def reply_without_key(stage: Stage) -> Request:
    return without_key(reply(stage))


@scenario("POST", "/portal/tickets/{number}/rating")
def rate(stage: Stage) -> Request:
    stage.set_settings(allow_client_rating=True)
    ticket = resolved_ticket(stage)
    return Request("POST", f"/portal/tickets/{ticket['number']}/rating", token=stage.shared_client[1],
                   json={"score": 5, "comment": "Quick and kind."})


@scenario("PUT", "/portal/tickets/{number}/watch")
def watch(stage: Stage) -> Request:
    ticket = open_ticket(stage)
    return Request("PUT", f"/portal/tickets/{ticket['number']}/watch", token=stage.shared_client[1],
                   json={"events": ["public_reply", "status"]}, note="one conditional update of the ticket")


@scenario("DELETE", "/portal/tickets/{number}/watch")
def unwatch(stage: Stage) -> Request:
    ticket = open_ticket(stage)
    answer = stage.api.request("PUT", f"/portal/tickets/{ticket['number']}/watch", token=stage.shared_client[1],
                               json_body={"events": ["resolved"]})
    stage.expect(answer, 200, "watch")
    return Request("DELETE", f"/portal/tickets/{ticket['number']}/watch", token=stage.shared_client[1])


# --- against table size ----------------------------------------------------------------------
#
# Seeded rows n = 0, 1, ... are tickets, one second apart: 1 in 10 is the growth client's own
# (`n % 10 == 0`; 1 in 5 of those hidden from clients), half are in the growth client's
# organization, 1 in 10 is assigned to one agent (with its assignment item), 1 in 100 is
# rated, long ago; five recent ratings fall inside the report's last 30 days. As a helpdesk
# ages: the first WORKING_SET rows cycle through new, open, pending, resolved, closed; every
# later row is closed history. A status filter finds the same tickets at every size, however
# much closed history sits newer than them in the same organization or requester.

GROWTH_ORG = "01BENCHGROWTHTICKETSORG000"
GROWTH_CLIENT = "01BENCHGROWTHTICKETCLIENT0"
GROWTH_AGENT = "growth-agent"
FIRST_SEEDED = 10_000_000
SEED_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
RATED_EVERY = 100
RECENT_RATINGS = 5
WORKING_SET = 1_000


def _ticket(number: int, when: datetime, **fields: Any) -> Any:
    """A ticket as the service writes it (status index keys included)."""
    from chalicelib.models.tickets import TICKET_KIND, TicketModel, status_key
    from chalicelib.services.ticket_writes import activity_key

    return TicketModel(str(number), kind=TICKET_KIND, number=number, subject=f"Seeded ticket {number}",
                       description="Seeded for the items-read check.", priority="normal", public_notes=0,
                       created_at=when, updated_at=when, activity_at=activity_key(when, number), version=1,
                       client_updated_at=when, client_activity_at=activity_key(when, number),
                       org_status=status_key(fields.get("organization_id"), fields["status"]),
                       requester_status=status_key(fields.get("requester_id"), fields["status"]), **fields)


def seed_tickets(start: int, stop: int) -> None:
    from bench.seed import put_models
    from chalicelib.models.tickets import (
        ASSIGNMENT_KIND,
        RATED,
        STATUSES,
        AssignmentModel,
        TicketStatus,
        assignment_id,
        status_key,
    )
    from chalicelib.services.ticket_writes import activity_key

    rows = []
    for n in range(start, stop):
        number, when = FIRST_SEEDED + n, SEED_EPOCH + timedelta(seconds=n)
        requester = GROWTH_CLIENT if n % 10 == 0 else f"growth-requester-{n % 499:03d}"
        fields: dict[str, Any] = {
            "status": STATUSES[n % len(STATUSES)] if n < WORKING_SET else TicketStatus.CLOSED,
            "requester_id": requester, "requester_name": "Seeded Client",
            "requester_email": f"{requester}@growth.test", "created_by": f"client:{requester}",
            "organization_id": GROWTH_ORG if n % 2 == 0 else f"growth-org-{n % 97:02d}",
            "block_client_view": n % 50 == 20, "assignees": [], "assignee_emails": {}}
        if n % 10 == 5:
            fields.update(assignees=[GROWTH_AGENT], assignee_emails={GROWTH_AGENT: "growth-agent@helpdesk.test"})
            rows.append(AssignmentModel(assignment_id(number, GROWTH_AGENT), kind=ASSIGNMENT_KIND,
                                        assignee=GROWTH_AGENT, ticket_number=number,
                                        assignee_status=status_key(GROWTH_AGENT, fields["status"])))
        if n % RATED_EVERY == 3:  # resolved or closed
            fields.update(rating_score=(n // RATED_EVERY) % 5 + 1, rated=RATED, rated_at=when,
                          rated_at_key=activity_key(when, number), rated_assignees=[GROWTH_AGENT], resolved_at=when)
        rows.append(_ticket(number, when, **fields))
    put_models(rows)


def _recent_ratings() -> None:
    """RECENT_RATINGS rated tickets in the last 30 days: the same items every time."""
    from bench.seed import put_models
    from chalicelib.ids import utcnow
    from chalicelib.models.tickets import RATED
    from chalicelib.services.ticket_writes import activity_key

    now = utcnow()
    rows = []
    for k in range(RECENT_RATINGS):
        number, rated_at = FIRST_SEEDED - 1 - k, now - timedelta(days=k + 1)
        rows.append(_ticket(number, SEED_EPOCH - timedelta(days=1), status="resolved", requester_id="growth-recent",
                            organization_id="growth-org-recent", block_client_view=False, assignees=[GROWTH_AGENT],
                            rating_score=5 - k % 2, rated=RATED, rated_at=rated_at,
                            rated_at_key=activity_key(rated_at, number), rated_assignees=[GROWTH_AGENT],
                            resolved_at=rated_at))
    put_models(rows)


def growth_client_bearer() -> str:
    """A session of the growth client (a client admin of GROWTH_ORG), written directly."""
    from bench.seed import put_models
    from chalicelib.ids import utcnow
    from chalicelib.models.users import ACTIVE, CLIENT_ADMIN, CLIENT_KIND, UserModel
    from chalicelib.services.sessions import start_session

    email, now = "growth-tickets@growth.test", utcnow()
    item = UserModel(GROWTH_CLIENT, kind=CLIENT_KIND, email=email, email_lower=email, name="Growth Client",
                     organization_id=GROWTH_ORG, role=CLIENT_ADMIN, status=ACTIVE, created_at=now, updated_at=now,
                     activated_at=now)
    put_models([item])
    return f"Bearer {start_session(item).token}"


@growth("GET /portal/tickets", table="tickets", seed=seed_tickets,
        note="my tickets: 1 row in 10, 1 in 5 of those hidden from clients (read, filtered out)")
def my_tickets_growth(stage: Stage) -> Request:
    return Request("GET", "/portal/tickets", token=growth_client_bearer())


@growth("GET /portal/tickets?status=new", table="tickets", seed=seed_tickets,
        note="my new tickets: all in the working set, under my closed history")
def my_new_tickets_growth(stage: Stage) -> Request:
    return Request("GET", "/portal/tickets?status=new", token=growth_client_bearer())


@growth("GET /portal/tickets?scope=organization&status=open", table="tickets", seed=seed_tickets,
        requires="GET /portal/tickets", note="the organization's open tickets, under its closed history")
def organization_open_tickets_growth(stage: Stage) -> Request:
    return Request("GET", "/portal/tickets?scope=organization&status=open", token=growth_client_bearer())


@growth("GET /portal/tickets?scope=organization", table="tickets", seed=seed_tickets,
        note="a client admin's organization: half the rows")
def organization_tickets_growth(stage: Stage) -> Request:
    return Request("GET", "/portal/tickets?scope=organization", token=growth_client_bearer())


@growth("GET /agent/tickets", table="tickets", seed=seed_tickets, note="first page, all tickets")
def agent_tickets_growth(stage: Stage) -> Request:
    return Request("GET", "/agent/tickets", token=stage.agent)


@growth("GET /agent/tickets?status=open", table="tickets", seed=seed_tickets, note="status index")
def agent_status_growth(stage: Stage) -> Request:
    return Request("GET", "/agent/tickets?status=open", token=stage.agent)


@growth("GET /agent/tickets?assignee=", table="tickets", seed=seed_tickets,
        note="one agent's queue: assignment Query, then one BatchGetItem")
def agent_assignee_growth(stage: Stage) -> Request:
    return Request("GET", f"/agent/tickets?assignee={GROWTH_AGENT}", token=stage.agent)


@growth("GET /agent/tickets?organization_id=", table="tickets", seed=seed_tickets, note="one organization")
def agent_organization_growth(stage: Stage) -> Request:
    return Request("GET", f"/agent/tickets?organization_id={GROWTH_ORG}", token=stage.agent)


@growth("GET /agent/tickets?organization_id=&status=open", table="tickets", seed=seed_tickets,
        note="one organization's open tickets, under its closed history")
def agent_organization_status_growth(stage: Stage) -> Request:
    return Request("GET", f"/agent/tickets?organization_id={GROWTH_ORG}&status=open", token=stage.agent)


@growth("GET /agent/tickets?requester_id=&status=new", table="tickets", seed=seed_tickets,
        note="one client's new tickets, under their closed history")
def agent_requester_status_growth(stage: Stage) -> Request:
    return Request("GET", f"/agent/tickets?requester_id={GROWTH_CLIENT}&status=new", token=stage.agent)


@growth("GET /agent/tickets?assignee=&status=new", table="tickets", seed=seed_tickets,
        note="one agent's new tickets, under their closed history")
def agent_assignee_status_growth(stage: Stage) -> Request:
    return Request("GET", f"/agent/tickets?assignee={GROWTH_AGENT}&status=new", token=stage.agent)


def _reports_agent(stage: Stage) -> str:
    return stage.agents.token(REPORTS_EMAIL, ["view-reports"])


@growth("GET /agent/reports/ratings?from=", table="tickets", seed=seed_tickets, requires="GET /agent/reports/ratings",
        note=f"last 30 days: {RECENT_RATINGS} ratings; the older ones and unrated tickets are not read")
def ratings_recent_growth(stage: Stage) -> Request:
    _recent_ratings()
    since = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Request("GET", f"/agent/reports/ratings?from={since}", token=_reports_agent(stage))


@growth("GET /agent/reports/ratings", table="tickets", seed=seed_tickets,
        reads=lambda size: size // RATED_EVERY + RECENT_RATINGS, bound="rated tickets",
        note=f"all time: reads every rated ticket (1 row in {RATED_EVERY}), never an unrated one")
def ratings_all_time_growth(stage: Stage) -> Request:
    _recent_ratings()
    return Request("GET", "/agent/reports/ratings", token=_reports_agent(stage))
