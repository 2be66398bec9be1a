"""The client portal log (product.md §5): who tried to get into the portal, when, from
where, and how it went. Services record events with plain values (the route hands them
the caller's `Origin`); agents with *view reports* list them.

Recording never makes the request fail: a log write that fails is reported in the
application log (with no email) and the request goes on.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.errors import InvalidInput, PorticoError, TooManyRequests
from chalicelib.ids import iso, utcnow
from chalicelib.models.portal_log import FEED, PortalLogModel
from chalicelib.models.shards import query_shards
from chalicelib.observability import logger

LOGIN, ACTIVATION, PASSWORD_RESET, IMPERSONATION = "login", "activation", "password_reset", "impersonation"
WRITE_REFUSED = "write_refused"  # a change tried with a read-only (impersonation) session
SESSION_REFUSED = "session_refused"  # a session's request refused: its organization's portal is off
SUCCESS, FAILURE = "success", "failure"
RETENTION = timedelta(days=400)
MAX_USER_AGENT = 512


@dataclass(frozen=True)
class Origin:
    """Where a request came from, as the route saw it: API Gateway's source IP (never a
    forwarding header) and the User-Agent header."""

    ip: str = ""
    user_agent: str = ""


NOWHERE = Origin()


def _key_time(moment: datetime) -> str:
    # isoformat pads the year to four digits (strftime's %Y may not), so keys sort as times.
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _subject(client_id: str | None, email: str | None, ip: str) -> str:
    if client_id:
        return client_id
    if email:
        return f"email#{email.strip().lower()}"
    return f"ip#{ip or 'unknown'}"


def record(event: str, outcome: str, *, origin: Origin | None = None, client_id: str | None = None,
           email: str | None = None, reason: str | None = None, agent: str | None = None) -> None:
    """Add one event to the log. Never raises."""
    origin = origin or NOWHERE
    try:
        now = utcnow()
        PortalLogModel(
            _subject(client_id, email, origin.ip), f"{_key_time(now)}#{secrets.token_hex(4)}",
            event=event, outcome=outcome, reason=reason, client_id=client_id, email=email or None,
            ip=origin.ip or None, user_agent=(origin.user_agent or "")[:MAX_USER_AGENT] or None, agent=agent,
            expires_ttl=math.ceil((now + RETENTION).timestamp()),
        ).save()
    except Exception as error:  # the log must never cost the client its request
        logger().warning("portal_log.write_failed", extra={"event": event, "outcome": outcome, "reason": reason,
                                                           "client_id": client_id, "error": type(error).__name__})


@dataclass
class Attempt:
    """What the block inside `recorded()` learns about whom the attempt concerns."""

    client_id: str | None = None
    email: str | None = None
    agent: str | None = None
    reason: str | None = None  # on a success, what kind (a login that now asks for a second factor)


def _reason(error: Exception) -> str:
    if isinstance(error, TooManyRequests):
        return "throttled"
    if isinstance(error, InvalidInput):
        return "password_rejected"  # the only bad input left once the body parsed: the password policy
    return getattr(error, "reason", None) or getattr(error, "code", None) or "error"


@contextmanager
def recorded(event: str, origin: Origin | None, *, email: str | None = None) -> Iterator[Attempt]:
    """Record `event` once the block ends: a success, or the failure and its reason when the
    block raises a domain error (which goes on to the caller unchanged)."""
    attempt = Attempt(email=email)
    try:
        yield attempt
    except PorticoError as error:
        record(event, FAILURE, origin=origin, client_id=attempt.client_id or getattr(error, "client_id", None),
               email=attempt.email or getattr(error, "email", None), reason=_reason(error), agent=attempt.agent)
        raise
    record(event, SUCCESS, origin=origin, client_id=attempt.client_id, email=attempt.email, agent=attempt.agent,
           reason=attempt.reason)


def _entry(item: Any) -> dict[str, Any]:
    moment = datetime.strptime(item.at.partition("#")[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return {"at": iso(moment), "event": item.event, "outcome": item.outcome, "reason": item.reason,
            "client_id": item.client_id, "email": item.email, "ip": item.ip, "user_agent": item.user_agent,
            "agent": item.agent}


def list_events(*, client_id: str | None, since: datetime | None, until: datetime | None, limit: int,
                start_key: dict | None) -> tuple[list[dict[str, Any]], dict | None]:
    """Newest first, `since` <= time <= `until`: one Query on the table for one client; for
    everyone, one Query per shard of the `by_time` index, in parallel, merged."""
    low = _key_time(since) if since else "0"
    high = f"{_key_time(until)}~" if until else "~"  # "~" sorts after the "#suffix" of any event at `until`
    window = PortalLogModel.at.between(low, high)
    if client_id:
        result = PortalLogModel.query(client_id, window, scan_index_forward=False, limit=limit,
                                      last_evaluated_key=start_key)
        return [_entry(item) for item in result], result.last_evaluated_key
    found, following = query_shards(PortalLogModel.by_time, FEED, window, sort_key="at", newest_first=True,
                                    limit=limit, start=start_key)
    return [_entry(item) for item in found], following
