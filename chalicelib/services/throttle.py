"""Throttling of the portal's unauthenticated doors (product.md §5): log-in failures,
sign-up, forgot-password and activation attempts, per account and per IP address, in fixed
15-minute windows. Over the limit: 429 `too_many_requests` with `Retry-After` (seconds to the
end of the window).

Counters live in DynamoDB (`models/throttle.py`), so every Lambda container sees the same
count. Two ways to count, by what the action costs:
  - `check` + `count_failure` (log-in, activation): a strongly consistent BatchGetItem of the
    counters before the attempt, and UpdateItem ADD on the counters only when it fails; a
    correct password does not count. Requests in flight at the same moment all see the count
    from before them, so a burst can overshoot the limit by the number of attempts running
    in parallel; after that every attempt is refused until the window ends.
  - `attempt` (sign-up, forgot-password: every request may send an email): one conditional
    UpdateItem ADD per counter, `count < limit`, so the limit is exact. A refused attempt is
    counted by no counter (an ADD already made is taken back), so it uses up no allowance.

The account is the email as typed (lowercased) or, for activation links, the link itself:
known or unknown, an address is throttled the same way, so a 429 says nothing about whether
an account exists. IPv6 addresses count per /64 (one host's usual allocation).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib import ids
from chalicelib.errors import Gone, InvalidInput, TooManyRequests
from chalicelib.models.throttle import ThrottleModel
from chalicelib.observability import logger

ACCOUNT, IP, ORGANIZATION = "account", "ip", "organization"
WINDOW = timedelta(minutes=15)
KEEP_AFTER_WINDOW = timedelta(hours=1)  # TTL margin: DynamoDB deletes expired items within days anyway


@dataclass(frozen=True)
class Limit:
    action: str
    per_account: int
    # Higher per IP: one office behind one NAT address is many clients.
    per_ip: int
    window: timedelta = WINDOW


LOGIN = Limit("login", per_account=10, per_ip=50)
ACTIVATION = Limit("activation", per_account=10, per_ip=50)
SIGNUP = Limit("signup", per_account=10, per_ip=50)
FORGOT = Limit("forgot", per_account=10, per_ip=50)
# A client admin's colleague invitations (each may mail an address): per admin (the setting
# client_admin_invites_per_hour) and per organization, an hour.
INVITES_PER_ORGANIZATION = 50
INVITE_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Counter:
    per: str  # what it counts per: ACCOUNT or IP
    key: str
    limit: int


def _ip_subject(ip: str) -> str:
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ip.strip()
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _window_number(limit: Limit, now: datetime) -> int:
    return math.floor(now.timestamp() / limit.window.total_seconds())


def _key(limit: Limit, per: str, subject: str, now: datetime) -> str:
    digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:32]
    return f"{limit.action}#{per}#{digest}#{_window_number(limit, now)}"


def counters(limit: Limit, now: datetime, *, ip: str | None, account: str | None) -> list[Counter]:
    found = []
    if ip:
        found.append(Counter(IP, _key(limit, IP, _ip_subject(ip), now), limit.per_ip))
    if account:
        found.append(Counter(ACCOUNT, _key(limit, ACCOUNT, account, now), limit.per_account))
    return found


def retry_after(limit: Limit, now: datetime) -> int:
    """Whole seconds until the current window ends (at least 1)."""
    seconds = limit.window.total_seconds()
    return max(1, math.ceil(seconds - (now.timestamp() % seconds)))


def _refused(limit: Limit, now: datetime, per: str) -> TooManyRequests:
    wait = retry_after(limit, now)
    minutes = math.ceil(wait / 60)
    # Which counter tripped goes to ops only (never the address or email); the caller is not told.
    logger().info("throttle.refused", extra={"action": limit.action, "kind": per, "retry_after": wait})
    return TooManyRequests(f"Too many attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
                           retry_after=wait)


def _expires(limit: Limit, now: datetime) -> int:
    end = (_window_number(limit, now) + 1) * limit.window.total_seconds()
    return math.ceil(end + KEEP_AFTER_WINDOW.total_seconds())


def check(limit: Limit, *, ip: str | None, account: str | None, now: datetime | None = None) -> None:
    """429 when a counter of this window is at its limit; one BatchGetItem."""
    now = now or ids.utcnow()
    wanted = counters(limit, now, ip=ip, account=account)
    if not wanted:
        return
    counts = {item.id: int(item.count or 0)
              for item in ThrottleModel.batch_get([c.key for c in wanted], consistent_read=True)}
    for counter in wanted:
        if counts.get(counter.key, 0) >= counter.limit:
            raise _refused(limit, now, counter.per)


def count_failure(limit: Limit, *, ip: str | None, account: str | None, now: datetime | None = None) -> None:
    """One more failure on each counter (UpdateItem ADD: atomic across containers). A counter
    that cannot be written is reported, not raised: the caller is answering a failure already."""
    now = now or ids.utcnow()
    for counter in counters(limit, now, ip=ip, account=account):
        _update_or_report(limit, counter, _bump(limit, now), "throttle.count_failed")


def _update_or_report(limit: Limit, counter: Counter, actions: list, event: str, **kwargs: Any) -> None:
    """UpdateItem on a counter for a caller that is refusing or failing anyway: a write that
    fails is reported in the application log (no address, no email), never raised."""
    try:
        ThrottleModel(counter.key).update(actions=actions, **kwargs)
    except Exception as error:
        logger().warning(event, extra={"action": limit.action, "kind": counter.per, "error": type(error).__name__})


def _bump(limit: Limit, now: datetime) -> list:
    return [ThrottleModel.count.add(1), ThrottleModel.expires_ttl.set(_expires(limit, now))]


@contextmanager
def failures_counted(limit: Limit, *, ip: str | None, account: str | None,
                     failures: tuple[type[Exception], ...]) -> Iterator[None]:
    """`check` first; then a failure (one of `failures` raised by the block) is counted."""
    now = ids.utcnow()
    check(limit, ip=ip, account=account, now=now)
    try:
        yield
    except failures:
        count_failure(limit, ip=ip, account=account, now=now)
        raise


def link_failures_counted(link: str, *, ip: str | None) -> Any:
    """Failed uses of an activation or sign-up verification link (unknown, used, expired, a
    refused password) count against the address and the link (ACTIVATION)."""
    return failures_counted(ACTIVATION, ip=ip, account=link, failures=(Gone, InvalidInput))


def attempt(limit: Limit, *, ip: str | None, account: str | None, now: datetime | None = None) -> None:
    """Count this attempt, or 429 when a counter is already at its limit (the refused attempt
    is not counted: it uses up no allowance, so a locked email does not also wear down the
    address it is tried from). One conditional UpdateItem ADD per counter, the account's first
    (the lower limit, the one that trips); when a later counter refuses, the earlier ADD is
    taken back (ADD -1)."""
    now = now or ids.utcnow()
    _count_or_refuse(limit, sorted(counters(limit, now, ip=ip, account=account), key=lambda c: c.per != ACCOUNT),
                     now)


def colleague_invitation(admin_id: str, organization_id: str, *, per_admin: int, now: datetime | None = None
                         ) -> None:
    """Count a client admin's colleague invitation, or 429 when the admin has sent `per_admin`
    this hour or their organization INVITES_PER_ORGANIZATION (as `attempt`: exact, and a refused
    invitation is not counted)."""
    now = now or ids.utcnow()
    limit = Limit("colleague-invite", per_account=per_admin, per_ip=INVITES_PER_ORGANIZATION, window=INVITE_WINDOW)
    _count_or_refuse(limit, [Counter(ACCOUNT, _key(limit, ACCOUNT, admin_id, now), per_admin),
                             Counter(ORGANIZATION, _key(limit, ORGANIZATION, organization_id, now),
                                     INVITES_PER_ORGANIZATION)], now)


MAIL_IN_WINDOW = timedelta(hours=1)


def inbound_mail(sender: str, *, per_hour: int, now: datetime | None = None) -> bool:
    """Count one inbound message from `sender` (mail in, product.md §8); False when the sender
    has had `per_hour` this hour, so a mail loop or a flood stops itself. One UpdateItem."""
    now = now or ids.utcnow()
    limit = Limit("mail-in", per_account=per_hour, per_ip=per_hour, window=MAIL_IN_WINDOW)
    try:
        _count_or_refuse(limit, [Counter(ACCOUNT, _key(limit, ACCOUNT, sender.lower(), now), per_hour)], now)
    except TooManyRequests:
        return False
    return True


def _count_or_refuse(limit: Limit, ordered: list[Counter], now: datetime) -> None:
    counted: list[Counter] = []
    for counter in ordered:
        try:
            ThrottleModel(counter.key).update(
                actions=_bump(limit, now),
                condition=ThrottleModel.count.does_not_exist() | (ThrottleModel.count < counter.limit))
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                _take_back(limit, counted)
                raise _refused(limit, now, counter.per) from None
            raise
        counted.append(counter)


def _take_back(limit: Limit, counted: list[Counter]) -> None:
    """Undo this attempt's ADD on `counted`. Reported, not raised: the caller is refusing anyway
    (a failed undo only over-counts, toward refusing)."""
    for counter in counted:
        _update_or_report(limit, counter, [ThrottleModel.count.add(-1)], "throttle.take_back_failed",
                          condition=ThrottleModel.count.exists())


def account_counter(limit: Limit, account: str, now: datetime | None = None) -> ThrottleModel:
    """The account's counter of this window, as an unsaved item: a password reset deletes it
    in the same transaction that sets the new password."""
    return ThrottleModel(_key(limit, ACCOUNT, account, now or ids.utcnow()))
