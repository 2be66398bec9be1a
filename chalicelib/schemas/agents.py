from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.schemas.common import PageQuery, Schema, Strict

# The permissions Portico knows (services/agent_auth.py: GROUPS).
GroupName = Literal["admins", "manage-clients", "manage-tickets", "view-reports", "manage-knowledge",
                    "manage-assets"]


class AgentListQuery(PageQuery):
    pass


class AgentGroupsUpdate(Strict):
    groups: list[GroupName] = Field(max_length=5, description=(
        "Exactly the Portico groups the agent is in afterwards; other Cognito groups are left alone. "
        "Takes effect with the agent's next ID token."))


class Agent(Schema):
    username: str
    email: str | None
    name: str | None
    enabled: bool
    status: str = Field(description="Cognito's user status, e.g. CONFIRMED, FORCE_CHANGE_PASSWORD.")
    groups: list[str]
    created_at: str | None


class AgentPage(Schema):
    items: list[Agent]
    next_cursor: str | None
