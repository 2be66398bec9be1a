"""Log in as client (product.md §5): an agent with *manage clients* opens a 15-minute,
read-only portal session as an active client; every write with it is 403 `read_only`; it is
recorded in the portal log with the agent."""

from __future__ import annotations

from datetime import datetime, timedelta

READ_ONLY = "read_only"


def _impersonate(api, token, client_id):
    return api.post(f"/agent/clients/{client_id}/impersonate", token=token)


def test_an_agent_views_the_portal_as_the_client_read_only(api, portal, clock):
    client, own_session = portal.active_client("ana@example.com")
    answer = _impersonate(api, portal.agent_token, client["id"])
    assert answer.status == 201, answer.json
    body = answer.json
    assert body["client_id"] == client["id"]
    assert body["portal_url"] == f"http://portal.test/portal/impersonate#token={body['token']}"
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert timedelta(minutes=14) < expires - clock.now() <= timedelta(minutes=15)

    bearer = portal.bearer(body["token"])
    me = api.get("/portal/me", token=bearer)
    assert me.status == 200
    assert (me.json["id"], me.json["read_only"], me.json["impersonated_by"]) == (
        client["id"], True, "clients-admin@helpdesk.test")
    assert api.get("/portal/tickets", token=bearer).status == 200

    writes = [api.patch("/portal/me", {"name": "Changed"}, token=bearer),
              api.post("/portal/me/password", {"current_password": "x" * 12, "new_password": "Another-Strong-77"},
                       token=bearer),
              api.post("/portal/tickets", {"subject": "Hi", "description": "From the agent"}, token=bearer),
              api.post("/portal/organization/clients", {"email": "x@example.com"}, token=bearer)]
    assert [(w.status, w.code) for w in writes] == [(403, READ_ONLY)] * len(writes)
    assert api.get("/portal/me", token=bearer).json["name"] == "Ada Client"  # nothing changed
    assert api.get("/portal/me", token=portal.bearer(own_session)).json["read_only"] is False


def test_the_session_lasts_fifteen_minutes(api, portal, clock):
    client, own_session = portal.active_client("ana@example.com")
    bearer = portal.bearer(_impersonate(api, portal.agent_token, client["id"]).json["token"])
    clock.advance(minutes=14, seconds=50)
    assert api.get("/portal/me", token=bearer).status == 200
    clock.advance(seconds=11)
    assert api.get("/portal/me", token=bearer).status == 401
    assert api.get("/portal/me", token=portal.bearer(own_session)).status == 200  # the client's own one lives on


def test_it_needs_manage_clients(api, portal, agent_token, agents):
    client, _ = portal.active_client("ana@example.com")
    reports = agents.token("reports@helpdesk.test", ["view-reports"])
    assert _impersonate(api, agent_token, client["id"]).status == 403
    assert _impersonate(api, reports, client["id"]).status == 403
    assert api.post(f"/agent/clients/{client['id']}/impersonate").status == 401
    admin = agents.token("boss@helpdesk.test", ["admins"])
    assert _impersonate(api, admin, client["id"]).status == 201


def test_only_an_active_client_can_be_viewed(api, portal):
    invited = portal.create_client("invited@example.com")
    disabled, _ = portal.active_client("off@example.com")
    api.patch(f"/agent/clients/{disabled['id']}", {"disabled": True}, token=portal.agent_token)
    for client in (invited, disabled):
        answer = _impersonate(api, portal.agent_token, client["id"])
        assert answer.status == 409 and answer.code == "conflict", answer.json
    assert _impersonate(api, portal.agent_token, "01NOSUCHCLIENT000000000000").code == "not_found"


def test_disabling_the_client_ends_the_impersonation_too(api, portal):
    client, _ = portal.active_client("ana@example.com")
    bearer = portal.bearer(_impersonate(api, portal.agent_token, client["id"]).json["token"])
    api.patch(f"/agent/clients/{client['id']}", {"disabled": True}, token=portal.agent_token)
    assert api.get("/portal/me", token=bearer).status == 401


def test_impersonation_is_in_the_portal_log_with_the_agent(api, portal, agents, agent_token):
    client, _ = portal.active_client("ana@example.com")
    invited = portal.create_client("invited@example.com")
    _impersonate(api, portal.agent_token, client["id"])
    _impersonate(api, portal.agent_token, invited["id"])
    _impersonate(api, agent_token, client["id"])  # refused before anything happens: not logged
    reports = agents.token("reports@helpdesk.test", ["view-reports"])
    items = [i for i in api.get("/agent/portal-log", token=reports).json["items"] if i["event"] == "impersonation"]
    assert [(i["client_id"], i["outcome"], i["reason"], i["agent"], i["email"]) for i in items] == [
        (invited["id"], "failure", "conflict", "clients-admin@helpdesk.test", "invited@example.com"),
        (client["id"], "success", None, "clients-admin@helpdesk.test", "ana@example.com"),
    ]
    assert items[1]["ip"] == "127.0.0.1"


def test_writes_refused_to_an_impersonation_are_in_the_portal_log(api, portal, agents):
    client, own_session = portal.active_client("ana@example.com")
    bearer = portal.bearer(_impersonate(api, portal.agent_token, client["id"]).json["token"])
    assert api.patch("/portal/me", {"name": "Changed"}, token=bearer).code == READ_ONLY
    assert api.patch("/portal/me", {"name": "Mine"}, token=portal.bearer(own_session)).status == 200
    reports = agents.token("reports@helpdesk.test", ["view-reports"])
    items = api.get(f"/agent/portal-log?client_id={client['id']}", token=reports).json["items"]
    refused = [i for i in items if i["event"] == "write_refused"]
    assert [(i["outcome"], i["reason"], i["agent"]) for i in refused] == [
        ("failure", "read_only", "clients-admin@helpdesk.test")]


def test_the_route_is_in_the_openapi_document(api):
    operation = api.get("/openapi.json").json["paths"]["/agent/clients/{client_id}/impersonate"]["post"]
    assert set(operation["responses"]) >= {"201", "401", "403", "404", "409"}
    schema = operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(api.get("/openapi.json").json["components"]["schemas"][schema]["properties"]) == {
        "client_id", "token", "expires_at", "portal_url"}


CSRF = {"X-Requested-With": "portico"}


def _view_cookie(answer) -> str:
    return answer.headers["set-cookie"].split(";", 1)[0]  # "portico_impersonation=<token>"


def _attributes(set_cookie: str) -> set[str]:
    """A Set-Cookie's attributes other than its name, value and age: where and how it is sent."""
    return {part.strip() for part in set_cookie.split(";")[1:] if not part.strip().startswith("Max-Age=")}


def test_the_page_keeps_the_view_as_its_own_cookie_which_wins_over_the_clients_session(api, portal, agents, clock):
    """A reload keeps the view (the #fragment is gone, the cookie stays) until it expires; it
    wins over a client session in the same browser, still read-only, and stopping it leaves
    that session alone."""
    client, own_session = portal.active_client("ana@example.com")
    _, other_session = portal.active_client("bob@example.com")
    token = _impersonate(api, portal.agent_token, client["id"]).json["token"]
    assert api.post("/portal/impersonate", {"token": token}).status == 403  # no X-Requested-With
    answer = api.post("/portal/impersonate", {"token": token}, headers=CSRF)
    assert answer.status == 200 and answer.json["client_id"] == client["id"]
    set_cookie = answer.headers["set-cookie"]
    assert set_cookie.startswith(f"portico_impersonation={token};")
    assert all(part in set_cookie for part in ("Path=/portal", "HttpOnly", "SameSite=Strict"))
    assert 14 * 60 < int(set_cookie.split("Max-Age=")[1].split(";")[0]) <= 15 * 60
    # Scoped exactly like the client's own session cookie.
    assert _attributes(set_cookie) == _attributes(portal.login("bob@example.com").headers["set-cookie"])

    # The browser also holds a client's own session cookie (bob's): the view wins.
    cookies = {"Cookie": f"portico_session={other_session}; {_view_cookie(answer)}"}
    me = api.get("/portal/me", headers=cookies).json
    assert (me["id"], me["read_only"], me["impersonated_by"]) == (client["id"], True, "clients-admin@helpdesk.test")
    write = api.patch("/portal/me", {"name": "Changed"}, headers={**cookies, **CSRF})
    assert (write.status, write.code) == (403, READ_ONLY)
    reports = agents.token("reports@helpdesk.test", ["view-reports"])  # and on record, with the agent
    logged = api.get(f"/agent/portal-log?client_id={client['id']}", token=reports).json["items"]
    assert [(i["reason"], i["agent"]) for i in logged if i["event"] == "write_refused"] == [
        ("read_only", "clients-admin@helpdesk.test")]
    session = api.get("/portal/session", headers=cookies).json
    assert session["authenticated"] is True and session["user"]["id"] == client["id"]

    stopped = api.delete("/portal/impersonate", headers={**cookies, **CSRF})
    assert stopped.status == 204 and stopped.headers["set-cookie"].startswith("portico_impersonation=;")
    assert "Max-Age=0" in stopped.headers["set-cookie"]
    assert api.get("/portal/me", token=portal.bearer(token)).status == 401  # the view itself ended
    assert api.get("/portal/me", headers={"Cookie": f"portico_session={other_session}"}).json["email"] == (
        "bob@example.com")  # the client's own session lives on
    assert api.get("/portal/me", token=portal.bearer(own_session)).status == 200


def test_only_a_live_view_token_becomes_the_cookie(api, portal, clock):
    client, own_session = portal.active_client("ana@example.com")
    refused = api.post("/portal/impersonate", {"token": own_session}, headers=CSRF)  # a client's own session
    assert refused.status == 401 and "set-cookie" not in refused.headers
    assert api.post("/portal/impersonate", {"token": "nope.nope"}, headers=CSRF).status == 401
    assert api.post("/portal/impersonate", {}, headers=CSRF).status == 400
    token = _impersonate(api, portal.agent_token, client["id"]).json["token"]
    clock.advance(minutes=16)
    assert api.post("/portal/impersonate", {"token": token}, headers=CSRF).status == 401
    cookie = {"Cookie": f"portico_impersonation={token}"}
    assert api.get("/portal/me", headers=cookie).status == 401  # an expired view is no session
