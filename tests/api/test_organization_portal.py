"""Per-organization portal access (product.md §12): an organization switched off refuses its
clients at log-in (after a correct password only) and on every session route, at once."""

from tests.support import CLIENT_PASSWORD


def _org(api, admin_token, name="Acme", **fields):
    answer = api.post("/agent/organizations", {"name": name, **fields}, token=admin_token)
    assert answer.status == 201, answer.json
    return answer.json


def test_an_organization_switched_off_refuses_its_clients_sessions_and_logins(api, admin_token, portal):
    org = _org(api, admin_token)
    assert org["portal_enabled"] is True and org["join_by_domain"] is False
    other = _org(api, admin_token, "Initech")
    client, session = portal.active_client("rita@acme.test", organization_id=org["id"])
    _, outsider = portal.active_client("peter@initech.test", organization_id=other["id"])
    assert api.get("/portal/me", token=portal.bearer(session)).status == 200

    switched = api.patch(f"/agent/organizations/{org['id']}", {"portal_enabled": False}, token=admin_token)
    assert switched.status == 200 and switched.json["portal_enabled"] is False

    refused = api.get("/portal/me", token=portal.bearer(session))
    assert refused.status == 403 and refused.code == "portal_blocked"
    assert api.get("/portal/me", token=portal.bearer(outsider)).status == 200  # another organization
    wrong = api.post("/portal/login", {"email": "rita@acme.test", "password": "Not-The-Password-1"})
    assert wrong.status == 401  # a wrong password learns nothing
    right = api.post("/portal/login", {"email": "rita@acme.test", "password": CLIENT_PASSWORD})
    assert right.status == 403 and right.code == "portal_blocked"
    log = api.get(f"/agent/portal-log?client_id={client['id']}", token=admin_token).json["items"]
    assert {(e["event"], e["reason"]) for e in log} >= {("login", "portal_blocked"),
                                                         ("session_refused", "portal_blocked")}

    # A client joining a switched-off organization is off too; switching back on restores everyone.
    api.patch(f"/agent/clients/{client['id']}", {"organization_id": other["id"]}, token=admin_token)
    assert portal.login("rita@acme.test").status == 200
    api.patch(f"/agent/clients/{client['id']}", {"organization_id": org["id"]}, token=admin_token)
    assert portal.login("rita@acme.test").status == 403
    api.patch(f"/agent/organizations/{org['id']}", {"portal_enabled": True}, token=admin_token)
    assert portal.login("rita@acme.test").status == 200
