"""Agents and permissions: Cognito only, so no DynamoDB call at all (auth included)."""

from __future__ import annotations

from bench.scenarios import Request, scenario
from bench.stage import Stage


@scenario("GET", "/agent/agents")
def list_agents(stage: Stage) -> Request:
    return Request("GET", "/agent/agents?limit=25", token=stage.admin)


@scenario("PATCH", "/agent/agents/{username}")
def set_agent_groups(stage: Stage) -> Request:
    email = f"bench-grant-{stage.serial()}@helpdesk.test"
    stage.agents.token(email, [])
    return Request("PATCH", f"/agent/agents/{email}", token=stage.admin, json={"groups": ["view-reports"]},
                   note="named by email")
