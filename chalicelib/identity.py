"""Who is acting, and whom a ticket is for: the three identity types every service decides on.

- `ActingAgent`: an agent calling the agent API (from a verified Cognito ID token).
- `ActingClient`: a client calling the portal (from a portal session, possibly an agent's
  read-only impersonation of that client).
- `TicketRequester`: the client a ticket is for, as far as the ticket's rules need to know it
  (who to mail, whether they may still be told anything).

`Caller` is either of the first two: rules that differ by audience (what may be seen, what may
be changed) take a `Caller` and decide, so routes never pass audience flags.

Plain dataclasses that import no service, so every layer can use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.models.users import ACTIVE, CLIENT_ADMIN

SUPER_USER_GROUP = "admins"


@dataclass(frozen=True)
class ActingAgent:
    username: str
    email: str | None
    groups: frozenset[str]
    sub: str | None = None
    name: str | None = None  # Cognito's `name` attribute, when the agent has one

    @property
    def display_name(self) -> str:
        """What clients and colleagues see as the author of this agent's notes and mail."""
        return self.name or self.email or self.username

    @property
    def is_admin(self) -> bool:
        return SUPER_USER_GROUP in self.groups

    def can(self, permission: str) -> bool:
        """Super users can do everything; others need the group named after the permission."""
        return self.is_admin or permission in self.groups


@dataclass(frozen=True)
class ActingClient:
    """The client a portal request acts as: read from its session, so active and current."""

    id: str
    email: str
    name: str | None
    phone: str | None
    organization_id: str | None
    role: str
    read_only: bool = False
    impersonated_by: str | None = None  # the agent's email when an agent is looking on
    session_key: str = field(default="", repr=False)
    expires_at: datetime | None = None

    @property
    def is_client_admin(self) -> bool:
        return self.role == CLIENT_ADMIN


Caller = ActingAgent | ActingClient


@dataclass(frozen=True)
class TicketRequester:
    """The client a ticket is for. `status` is None when the account was removed (the ticket
    keeps the name and email it was opened with)."""

    id: str | None
    email: str | None
    status: str | None
    name: str | None = None
    organization_id: str | None = None

    @property
    def reachable(self) -> bool:
        """Only an active client gets any mail (product.md §1.1, §1.7, §3)."""
        return bool(self.email) and receives_notifications(self.status)


def receives_notifications(status: str | None) -> bool:
    """The one rule for every notification email: only an active client gets mail. Inactive
    (never invited), invited (not yet activated) and disabled clients get none."""
    return status == ACTIVE
