"""Agents as the ticket rules need them: a username's email, from the Cognito pool, so
assignment checks that the agent exists and notifications know where to write; and the
names and emails a report shows for usernames."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from chalicelib.errors import InvalidInput, NotFound
from chalicelib.services.agents import AgentRecord, find_agent

# Cognito has no "get many users" call: one AdminGetUser each, read side by side.
_READERS = 8


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


def _found_or_none(username: str) -> AgentRecord | None:
    try:
        return find_agent(username)
    except NotFound:
        return None  # an agent removed from the pool since: shown by username only


def agent_profiles(usernames: list[str]) -> dict[str, AgentRecord | None]:
    """{username: the agent, or None when no longer in the pool}: one Cognito call per distinct
    username, whatever the number of times it is asked for."""
    distinct = list(dict.fromkeys(usernames))
    if len(distinct) < 2:
        return {username: _found_or_none(username) for username in distinct}
    with ThreadPoolExecutor(max_workers=min(_READERS, len(distinct))) as pool:
        return dict(zip(distinct, pool.map(_found_or_none, distinct), strict=True))
