"""The portal switch and IP allowlist (product.md §5): public and portal routes answer
403 portal_blocked; agent routes are unaffected."""

from __future__ import annotations

import pytest

from chalicelib.services.portal_access import ip_allowed

BLOCKED = {"code": "portal_blocked", "message": "Client self-service portal temporarily blocked"}


def _settings(api, admin_token, **values):
    version = api.get("/agent/settings", token=admin_token).json["version"]
    assert api.patch("/agent/settings", {**values, "version": version}, token=admin_token).status == 200


@pytest.mark.parametrize("ip, ranges, allowed", [
    ("203.0.113.7", ("203.0.113.0/24",), True),
    ("203.0.114.7", ("203.0.113.0/24",), False),
    ("2001:db8::1", ("2001:db8::/32",), True),
    ("2001:db9::1", ("2001:db8::/32",), False),
    ("::ffff:203.0.113.9", ("203.0.113.0/24",), True),
    ("203.0.113.7", ("2001:db8::/32",), False),
    ("not-an-ip", ("0.0.0.0/0",), False),
    ("", ("0.0.0.0/0",), False),
])
def test_ip_matching_covers_v4_and_v6_ranges(ip, ranges, allowed):
    assert ip_allowed(ip, ranges) is allowed


def test_a_disabled_portal_blocks_clients_but_not_agents(api, admin_token, portal):
    _, session = portal.active_client("c@example.com")
    _settings(api, admin_token, portal_enabled=False)
    assert api.post("/portal/login", {"email": "c@example.com", "password": "x"}).json == BLOCKED
    assert api.get("/portal/me", token=portal.bearer(session)).json == BLOCKED
    assert api.post("/portal/password/forgot", {"email": "c@example.com"}).status == 403
    assert api.get("/portal").status == 200  # the page itself shows the message
    assert api.get("/agent/clients", token=portal.agent_token).status == 200


def test_a_client_outside_the_allowlist_is_blocked(api, admin_token, portal):
    _, session = portal.active_client("c@example.com")
    _settings(api, admin_token, allow_all_ips=False, ip_allowlist=["203.0.113.0/24"])
    assert api.get("/portal/me", token=portal.bearer(session)).json == BLOCKED
    # A forged forwarding header does not help: only API Gateway's source IP counts.
    assert api.get("/portal/me", token=portal.bearer(session),
                   headers={"X-Forwarded-For": "203.0.113.5"}).json == BLOCKED
    _settings(api, admin_token, ip_allowlist=["203.0.113.0/24", "127.0.0.0/8", "::1/128"])
    assert api.get("/portal/me", token=portal.bearer(session)).status == 200
