"""Agent API: agents and their permissions (product.md §6). Super users (`admins`) only."""

from __future__ import annotations

from chalicelib.errors import InvalidInput
from chalicelib.routes.api import Call, RouteGroup, page, start_key
from chalicelib.services import agents as service

routes = RouteGroup(__name__, auth="agent", tag="agents")


@routes.route("/agent/agents", "GET", summary="List agents with their groups (admins)", permission="admins",
              query="agents.AgentListQuery", response="agents.AgentPage")
def list_agents(call: Call) -> dict:
    # Cognito's PaginationToken travels inside the project's encrypted cursor, so it stays opaque.
    cursor = start_key(call)
    token = cursor.get("t") if cursor else None
    if cursor is not None and not isinstance(token, str):
        raise InvalidInput("The cursor is not valid for this list.", fields={"cursor": "invalid cursor"})
    items, next_token = service.list_agents(call.query.limit, token)
    return page(call, items, {"t": next_token} if next_token else None)


@routes.route("/agent/agents/{username}", "PATCH",
              summary="Set an agent's groups (admins; applies at the agent's next token)", permission="admins",
              body="agents.AgentGroupsUpdate", response="agents.Agent", errors=(404, 409))
def update_agent(call: Call, username: str) -> dict:
    return service.set_groups(username, list(call.body.groups), acting_username=call.agent.username).as_dict()
