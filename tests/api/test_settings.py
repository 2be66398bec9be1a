"""Settings: every agent reads them, only super users (admins) change them; validated."""

from __future__ import annotations

import pytest

DEFAULTS = {
    "portal_enabled": True, "self_signup": False, "allow_all_ips": True, "ip_allowlist": [],
    "allow_client_rating": False, "activation_ttl_hours": 168, "invitation_reminder_days": [1, 3, 7],
}


def test_defaults_are_a_private_open_portal_without_rating(api, agent_token):
    answer = api.get("/agent/settings", token=agent_token)
    assert answer.status == 200
    assert {k: answer.json[k] for k in DEFAULTS} == DEFAULTS
    assert answer.json["agents_email"] == "agents@portico.test"


def test_an_admin_changes_settings_and_they_persist(api, admin_token, agent_token):
    changes = {"self_signup": True, "allow_all_ips": False, "ip_allowlist": ["10.0.0.0/8", "2001:db8::/32"],
               "allow_client_rating": True, "activation_ttl_hours": 48, "invitation_reminder_days": [7, 2],
               "agents_email": "desk@helpdesk.test"}
    answer = api.patch("/agent/settings", changes, token=admin_token)
    assert answer.status == 200
    again = api.get("/agent/settings", token=agent_token).json
    assert again["ip_allowlist"] == ["10.0.0.0/8", "2001:db8::/32"]
    assert again["invitation_reminder_days"] == [2, 7]
    assert again["activation_ttl_hours"] == 48 and again["self_signup"] is True
    assert again["updated_by"] and again["updated_at"]


def test_cidrs_are_normalised(api, admin_token):
    answer = api.patch("/agent/settings", {"ip_allowlist": ["192.168.1.7/24", " 2001:DB8::1/64 "]}, token=admin_token)
    assert answer.json["ip_allowlist"] == ["192.168.1.0/24", "2001:db8::/64"]


@pytest.mark.parametrize("changes, field", [
    ({"ip_allowlist": ["10.0.0.0/33"]}, "ip_allowlist"),
    ({"ip_allowlist": ["not-an-ip"]}, "ip_allowlist"),
    ({"ip_allowlist": ["10.0.0.0/8"] * 201}, "ip_allowlist"),
    ({"activation_ttl_hours": -1}, "activation_ttl_hours"),
    ({"activation_ttl_hours": 0}, "activation_ttl_hours"),
    ({"activation_ttl_hours": "48"}, "activation_ttl_hours"),
    ({"self_signup": "yes"}, "self_signup"),
    ({"portal_enabled": None}, "portal_enabled"),
    ({"invitation_reminder_days": [0]}, "invitation_reminder_days"),
    ({"agents_email": "nobody"}, "agents_email"),
    ({"colour": "red"}, "colour"),
    ({"ticket_categories": ["Network", "x" * 101]}, "ticket_categories.1"),
    ({"ticket_categories": ["Line\nbreak"]}, "ticket_categories.0"),
    ({"ticket_categories": "Network"}, "ticket_categories"),
])
def test_invalid_settings_are_400_and_change_nothing(api, admin_token, changes, field):
    answer = api.patch("/agent/settings", changes, token=admin_token)
    assert answer.status == 400 and answer.code == "validation_error"
    assert field in answer.json["fields"]
    current = api.get("/agent/settings", token=admin_token).json
    assert {k: current[k] for k in DEFAULTS} == DEFAULTS


def test_a_stale_version_is_409(api, admin_token):
    version = api.get("/agent/settings", token=admin_token).json["version"]
    assert api.patch("/agent/settings", {"self_signup": True, "version": version}, token=admin_token).status == 200
    stale = api.patch("/agent/settings", {"self_signup": False, "version": version}, token=admin_token)
    assert stale.status == 409 and stale.code == "conflict"


def test_only_admins_change_settings(api, agents):
    for groups in ([], ["manage-clients"], ["manage-tickets"], ["view-reports"]):
        token = agents.token(f"agent-{'-'.join(groups) or 'plain'}@helpdesk.test", groups)
        assert api.patch("/agent/settings", {"self_signup": True}, token=token).status == 403
