"""Cognito user-pool calls: each operation's quota category and its default rate.

Cognito's request-rate quotas are per AWS account and Region, shared by every user pool and
every caller (the Lambda functions, the console, scripts), and per category of operations.
The defaults below are those of the Cognito developer guide ("Quotas in Amazon Cognito", API
operation categories); they can be raised in Service Quotas. A route's ceiling from Cognito
alone is the category's rate divided by the route's calls in it.
"""

from __future__ import annotations

from collections import Counter

# operation -> (quota category, default requests per second)
QUOTAS: dict[str, tuple[str, int]] = {
    "ListUsers": ("UserList", 30),
    "ListUsersInGroup": ("UserList", 30),
    "AdminGetUser": ("UserRead", 120),
    "AdminListGroupsForUser": ("UserRead", 120),
    "AdminAddUserToGroup": ("UserUpdate", 25),
    "AdminRemoveUserFromGroup": ("UserUpdate", 25),
    "AdminUpdateUserAttributes": ("UserUpdate", 25),
    "AdminDisableUser": ("UserUpdate", 25),
    "AdminEnableUser": ("UserUpdate", 25),
    "AdminCreateUser": ("UserCreation", 50),
    "InitiateAuth": ("UserAuthentication", 120),
    "AdminInitiateAuth": ("UserAuthentication", 120),
}


def describe(operations: Counter) -> tuple[str, float | None]:
    """(the operations with their quota categories, the route's ceiling in requests/s from these quotas)."""
    parts, per_category = [], Counter()
    for name, count in sorted(operations.items()):
        category, rate = QUOTAS.get(name, ("unknown category", 0))
        parts.append(f"{name}×{count} ({category} {rate}/s)" if rate else f"{name}×{count} ({category})")
        if rate:
            per_category[(category, rate)] += count
    ceilings = [rate / count for (_, rate), count in per_category.items()]
    return ", ".join(parts), (min(ceilings) if ceilings else None)
