"""Agents as the ticket rules need them: a username's email, from the Cognito pool, so
assignment checks that the agent exists and notifications know where to write."""

from __future__ import annotations

from chalicelib import aws
from chalicelib.config import get_config
from chalicelib.errors import InvalidInput


def agent_emails(usernames: list[str]) -> dict[str, str]:
    """{username: email} for existing agents; 400 naming the first unknown username."""
    idp = aws.client("cognito-idp")
    found: dict[str, str] = {}
    for username in dict.fromkeys(usernames):
        try:
            user = idp.admin_get_user(UserPoolId=get_config().user_pool_id, Username=username)
        except idp.exceptions.UserNotFoundException:
            raise InvalidInput(f"No agent is called {username!r}.", fields={"assignees": "unknown agent"}) from None
        attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
        found[user["Username"]] = attributes.get("email", "")
    return found
