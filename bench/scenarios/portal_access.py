"""Portal access control: the client portal log (and its growth with the table), log in as client
(and the page keeping that view as a cookie), the page's session check."""

from __future__ import annotations

from bench.scenarios import Request, growth, scenario
from bench.stage import Stage

GROWTH_CLIENT = "01BENCHGROWTHLOGCLIENT0000"


def _reports(stage: Stage) -> str:
    """An agent with `view-reports` (the factory logs each agent in once)."""
    return stage.agents.token("bench-reports@helpdesk.test", ["view-reports"])


@scenario("GET", "/agent/portal-log")
def portal_log(stage: Stage) -> Request:
    client, _ = stage.shared_client
    stage.portal.login(client["email"])
    return Request("GET", f"/agent/portal-log?client_id={client['id']}", token=_reports(stage),
                   note="one client's events")


@scenario("POST", "/agent/clients/{client_id}/impersonate")
def impersonate(stage: Stage) -> Request:
    client, _ = stage.active_client()  # not the shared client: this adds a session to it
    return Request("POST", f"/agent/clients/{client['id']}/impersonate", token=stage.clients_agent, expect=201)


def _view_token(stage: Stage) -> str:
    """A fresh read-only client view (its own client: this adds a session to it)."""
    client, _ = stage.active_client()
    answer = stage.api.post(f"/agent/clients/{client['id']}/impersonate", token=stage.clients_agent)
    stage.expect(answer, 201, "impersonate")
    return answer.json["token"]


@scenario("POST", "/portal/impersonate")
def start_client_view(stage: Stage) -> Request:
    return Request("POST", "/portal/impersonate", json={"token": _view_token(stage)},
                   headers={"X-Requested-With": "portico"}, note="the view's token becomes its cookie")


@scenario("DELETE", "/portal/impersonate")
def stop_client_view(stage: Stage) -> Request:
    return Request("DELETE", "/portal/impersonate", expect=204, note="ends the view, clears its cookie",
                   headers={"X-Requested-With": "portico", "Cookie": f"portico_impersonation={_view_token(stage)}"})


@scenario("GET", "/portal/session")
def session_state(stage: Stage) -> Request:
    _, bearer = stage.shared_client
    return Request("GET", "/portal/session", token=bearer, note="logged in (logged out: no call)")


def seed_log(start: int, stop: int) -> None:
    """Login events, one in four the growth client, a second apart."""
    from datetime import timedelta

    from bench.seed import put_models
    from chalicelib.ids import utcnow
    from chalicelib.models.portal_log import PortalLogModel

    now = utcnow()
    rows = []
    for n in range(start, stop):
        at = (now - timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        client_id = GROWTH_CLIENT if n % 4 == 0 else f"01BENCHSEEDEDCLIENT{n:07d}"
        rows.append(PortalLogModel(client_id, f"{at}#{n:08x}", event="login", outcome="success",
                                   client_id=client_id, email=f"seeded-{n}@growth.test", ip="192.0.2.1",
                                   expires_ttl=int(now.timestamp()) + 86400))
    put_models(rows)


@growth("GET /agent/portal-log", table="portal_log", seed=seed_log, note="first page, everyone")
def log_first_page(stage: Stage) -> Request:
    return Request("GET", "/agent/portal-log", token=_reports(stage))


@growth("GET /agent/portal-log?client_id=", table="portal_log", seed=seed_log, note="one client's events")
def log_of_client(stage: Stage) -> Request:
    return Request("GET", f"/agent/portal-log?client_id={GROWTH_CLIENT}", token=_reports(stage))
