"""Agents and their permissions (product.md §6), through the Cognito admin API.

Agents are users of the agents' Cognito pool; permissions are its groups. Super users list
agents and set which of Portico's groups each one is in. Groups Portico does not know (ops
may keep their own) are shown but never changed. A change reaches the agent with their next
ID token (Cognito puts `cognito:groups` in the token; one already issued keeps its groups
until it expires, at most an hour).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from chalicelib import aws
from chalicelib.config import get_config
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.identity import SUPER_USER_GROUP
from chalicelib.services.agent_auth import GROUPS

# Cognito's ListUsers returns at most 60 users per call.
_COGNITO_PAGE = 60
# Cognito has no "groups of many users" call: a page of agents needs one AdminListGroupsForUser
# each. They are read side by side, so a page of 100 costs about 13 round trips of time, not 100.
_GROUP_READERS = 8


@dataclass(frozen=True)
class AgentRecord:
    username: str
    email: str | None
    name: str | None
    enabled: bool
    status: str
    groups: list[str] = field(default_factory=list)
    created_at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"username": self.username, "email": self.email, "name": self.name, "enabled": self.enabled,
                "status": self.status, "groups": list(self.groups), "created_at": self.created_at}


def _idp() -> Any:
    return aws.client("cognito-idp")


def _pool_id() -> str:
    return get_config().user_pool_id


def _groups_of(username: str) -> list[str]:
    idp = _idp()
    names: list[str] = []
    kwargs: dict[str, Any] = {"UserPoolId": _pool_id(), "Username": username, "Limit": 60}
    while True:
        answer = idp.admin_list_groups_for_user(**kwargs)
        names += [group["GroupName"] for group in answer.get("Groups", [])]
        if not answer.get("NextToken"):
            return sorted(names)
        kwargs["NextToken"] = answer["NextToken"]


def _groups_of_each(usernames: list[str]) -> list[list[str]]:
    if len(usernames) < 2:
        return [_groups_of(username) for username in usernames]
    with ThreadPoolExecutor(max_workers=min(_GROUP_READERS, len(usernames))) as pool:
        return list(pool.map(_groups_of, usernames))


def _record(user: dict[str, Any], groups: list[str]) -> AgentRecord:
    # ListUsers says "Attributes", AdminGetUser "UserAttributes".
    attributes = {a["Name"]: a["Value"] for a in user.get("Attributes") or user.get("UserAttributes") or []}
    created = user.get("UserCreateDate")
    return AgentRecord(
        username=user["Username"], email=attributes.get("email"), name=attributes.get("name"),
        enabled=bool(user.get("Enabled", True)), status=str(user.get("UserStatus", "UNKNOWN")), groups=groups,
        created_at=created.isoformat() if hasattr(created, "isoformat") else None)


def list_agents(limit: int, pagination_token: str | None) -> tuple[list[AgentRecord], str | None]:
    """One page of agents in Cognito's order (up to `limit`), and Cognito's token for the next.

    Cognito pages hold at most 60 users, so a larger page is filled by consecutive calls, each
    asking for exactly what is still missing: a page is never cut, so its token stays exact."""
    idp = _idp()
    users: list[dict[str, Any]] = []
    token = pagination_token
    while len(users) < limit:
        kwargs: dict[str, Any] = {"UserPoolId": _pool_id(), "Limit": min(_COGNITO_PAGE, limit - len(users))}
        if token:
            kwargs["PaginationToken"] = token
        try:
            answer = idp.list_users(**kwargs)
        except (idp.exceptions.InvalidParameterException, idp.exceptions.ResourceNotFoundException) as exc:
            if token and token == pagination_token:  # a stale or foreign token from an old cursor
                raise InvalidInput("The cursor is not valid for this list.",
                                   fields={"cursor": "invalid cursor"}) from exc
            raise
        users += answer.get("Users", [])
        token = answer.get("PaginationToken")
        if not token:
            break
    groups = _groups_of_each([user["Username"] for user in users])
    return [_record(user, of_user) for user, of_user in zip(users, groups, strict=True)], token


def _get_user(username: str) -> dict[str, Any]:
    idp = _idp()
    try:
        return idp.admin_get_user(UserPoolId=_pool_id(), Username=username)
    except idp.exceptions.UserNotFoundException:
        raise NotFound("No agent has this username.") from None


def find_agent(username: str) -> AgentRecord:
    """The agent (by username or email; groups not read), or 404."""
    return _record(_get_user(username), [])


def set_groups(username: str, groups: list[str], *, acting_username: str) -> AgentRecord:
    """Put the agent in exactly `groups` among Portico's four; other groups are left alone.

    A super user cannot take `admins` away from themselves (409): the pool would be left
    with no one able to grant it back if they were the last one."""
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        raise InvalidInput(f"Unknown groups: {', '.join(unknown)}.",
                           fields={"groups": f"each group is one of {', '.join(GROUPS)}"})
    user = _get_user(username)
    canonical = user["Username"]  # the path may name the agent by email; compare usernames
    current = set(_groups_of(canonical))
    wanted = set(groups)
    if canonical == acting_username and SUPER_USER_GROUP in current and SUPER_USER_GROUP not in wanted:
        raise Conflict("You cannot remove your own 'admins' group; ask another super user.",
                       fields={"groups": "must keep 'admins'"})
    idp = _idp()
    for group in sorted(wanted - current):
        idp.admin_add_user_to_group(UserPoolId=_pool_id(), Username=canonical, GroupName=group)
    for group in sorted((current & set(GROUPS)) - wanted):
        idp.admin_remove_user_from_group(UserPoolId=_pool_id(), Username=canonical, GroupName=group)
    return _record(user, sorted((current - set(GROUPS)) | wanted))
