"""A small helpdesk for ticket tests: an organization with a client user (the requester)
and a client admin, a client of another organization, and agents with their usernames."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import pytest


def username_of(token: str) -> str:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["cognito:username"]


@dataclass
class Helpdesk:
    api: object
    org_id: str
    requester_id: str
    requester: str  # bearer header values for the portal
    org_admin: str
    stranger: str
    stranger_id: str
    agent: str  # agent ID tokens
    manager: str
    manager_name: str
    other_manager: str
    other_manager_name: str
    admin: str

    def open_ticket(self, subject: str = "Printer on fire", **fields) -> dict:
        answer = self.api.post("/portal/tickets", {"subject": subject, "description": "Smoke everywhere.", **fields},
                               token=self.requester)
        assert answer.status == 201, answer.json
        return answer.json

    def agent_patch(self, number: int, token: str | None = None, **changes) -> object:
        return self.api.patch(f"/agent/tickets/{number}", changes, token=token or self.manager)

    def set_settings(self, **values) -> None:
        version = self.api.get("/agent/settings", token=self.admin).json["version"]
        answer = self.api.patch("/agent/settings", {**values, "version": version}, token=self.admin)
        assert answer.status == 200, answer.json


@pytest.fixture
def helpdesk(api, agents, admin_token, portal):
    org = api.post("/agent/organizations", {"name": "Acme"}, token=admin_token).json
    other = api.post("/agent/organizations", {"name": "Initech"}, token=admin_token).json
    requester, requester_session = portal.active_client("rita@acme.test", organization_id=org["id"])
    _, admin_session = portal.active_client("boss@acme.test", organization_id=org["id"], role="client_admin")
    stranger, stranger_session = portal.active_client("peter@initech.test", organization_id=other["id"])
    manager = agents.token("manager@helpdesk.test", ["manage-tickets"])
    other_manager = agents.token("second@helpdesk.test", ["manage-tickets"])
    return Helpdesk(api, org["id"], requester["id"], portal.bearer(requester_session), portal.bearer(admin_session),
                    portal.bearer(stranger_session), stranger["id"], agents.token("agent@helpdesk.test", []),
                    manager, username_of(manager), other_manager, username_of(other_manager), admin_token)
