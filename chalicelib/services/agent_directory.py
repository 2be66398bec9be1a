"""Agents as the ticket rules need them: a username's email, from the Cognito pool, so
assignment checks that the agent exists and notifications know where to write."""

from __future__ import annotations

from chalicelib.errors import InvalidInput, NotFound
from chalicelib.services.agents import find_agent


def agent_emails(usernames: list[str]) -> dict[str, str]:
    """{username: email} for existing agents; 400 naming the first unknown username."""
    found: dict[str, str] = {}
    for username in dict.fromkeys(usernames):
        try:
            agent = find_agent(username)
        except NotFound:
            raise InvalidInput(f"No agent is called {username!r}.", fields={"assignees": "unknown agent"}) from None
        found[agent.username] = agent.email or ""
    return found
