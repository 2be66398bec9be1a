"""Portal sessions (product.md §1.7, §1.9, §5).

A session token is `<client id>.<secret>`. The client item holds its sessions as a map
`{sha256(secret)[:32]: {"exp": epoch seconds, "ro": read-only, "agent": impersonator}}`,
so checking a session is one GetItem, and disabling, removing or a password change ends
every session with the same write that makes the change.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.config import get_config
from chalicelib.errors import Conflict, InvalidCredentials, TooManyRequests, Unauthorized
from chalicelib.identity import ActingClient
from chalicelib.ids import new_secret, utcnow
from chalicelib.models.users import ACTIVE, DISABLED, INACTIVE, UserModel
from chalicelib.observability import logger
from chalicelib.services import client_store, passwords, portal_log, throttle
from chalicelib.services.client_store import Client
from chalicelib.services.portal_access import PortalBlocked
from chalicelib.services.portal_log import Origin

IMPERSONATION_TTL = timedelta(minutes=15)
MAX_SESSIONS = 20  # per client; the oldest are dropped beyond this


@dataclass(frozen=True)
class Session:
    token: str  # given to the client once (cookie and body), never stored
    key: str
    value: dict[str, Any]
    expires_at: datetime


class LoginRefused(InvalidCredentials):
    """401 invalid_credentials, with the real reason kept for the portal log."""

    def __init__(self, reason: str, client_id: str | None = None) -> None:
        super().__init__()
        self.reason, self.client_id = reason, client_id


class AccountBlocked(InvalidCredentials):
    """The password was right, but the account may not log in (disabled, not verified): still
    401 `invalid_credentials` (the only login refusal api.md defines), with a message that says
    why. Told only after a correct password, so it reveals nothing to a guesser; the precise
    reason goes to the portal log. Not a `LoginRefused`: a right password is not counted as a
    failure by the throttle."""

    def __init__(self, message: str, reason: str, client_id: str) -> None:
        super().__init__(message)
        self.reason, self.client_id = reason, client_id


class OrganizationPortalBlocked(PortalBlocked):
    """403 portal_blocked: the client's organization has its portal access switched off."""

    def __init__(self, client_id: str) -> None:
        super().__init__()
        self.reason, self.client_id = "portal_blocked", client_id


def _key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:32]


def new_session(client_id: str, now: datetime, *, read_only: bool = False, agent: str | None = None,
                ttl: timedelta | None = None) -> Session:
    """A new session, lasting `ttl` (a login's: PORTICO_SESSION_HOURS, by default)."""
    secret = new_secret()
    expires = now + (ttl or get_config().session_ttl)
    value: dict[str, Any] = {"exp": math.floor(expires.timestamp())}
    if read_only:
        value["ro"] = True
    if agent:
        value["agent"] = agent
    return Session(f"{client_id}.{secret}", _key(secret), value, expires)


def _stored_sessions(item: UserModel) -> dict[str, Any]:
    raw = item.sessions
    if raw is None:
        return {}
    return raw.as_dict() if hasattr(raw, "as_dict") else dict(raw)


def add_session_actions(item: UserModel, session: Session, now: datetime) -> list[Any]:
    """Update actions that add `session` and drop expired (or too many) old ones,
    without touching sessions another request adds at the same time."""
    stored = _stored_sessions(item)
    if item.sessions is None:
        return [UserModel.sessions.set({session.key: session.value})]
    live = sorted(((v.get("exp", 0), k) for k, v in stored.items() if v.get("exp", 0) > now.timestamp()),
                  reverse=True)
    keep = {k for _, k in live[:MAX_SESSIONS - 1]}
    actions: list[Any] = [UserModel.sessions[key].remove() for key in stored if key not in keep]
    actions.append(UserModel.sessions[session.key].set(session.value))
    return actions


def start_session(item: UserModel, *, read_only: bool = False, agent: str | None = None,
                  ttl: timedelta | None = None, extra_actions: list[Any] | None = None, condition: Any = None
                  ) -> Session:
    now = utcnow()
    session = new_session(item.id, now, read_only=read_only, agent=agent, ttl=ttl)
    actions = add_session_actions(item, session, now) + (extra_actions or [])
    base = (UserModel.status == ACTIVE) & (UserModel.sessions.exists() if item.sessions is not None
                                           else UserModel.sessions.does_not_exist())
    try:
        item.update(actions=actions, condition=base & condition if condition is not None else base)
    except UpdateError:
        raise Unauthorized("The account changed meanwhile; log in again.") from None
    return session


# Given the client item once the password is right: what stands before the session (a second
# factor's challenge, services/mfa.py), or None. Passed in, so this module imports no such rule.
SecondFactor = Callable[[UserModel], Any]


def login(email: str, password: str, origin: Origin | None = None, second_factor: SecondFactor | None = None
          ) -> tuple[Client, Any]:
    """Log in with email and password; every attempt goes to the portal log with its outcome.
    When `second_factor` answers a challenge, that instead of a session."""
    ip = origin.ip if origin else None
    with portal_log.recorded(portal_log.LOGIN, origin, email=email) as attempt:
        try:
            # A wrong password counts against the email and the address; a right one does not.
            with throttle.failures_counted(throttle.LOGIN, ip=ip, account=email, failures=(LoginRefused,)):
                client, session = _login(email, password, second_factor)
        except TooManyRequests:
            # The throttle refuses before the account is read; read it now (one GetItem, only
            # when refused) so the entry is filed under the client and its log shows the lock-out.
            attempt.client_id = _client_id_for_log(email)
            raise
        attempt.client_id = client.id
        if not isinstance(session, Session):
            attempt.reason = "mfa_required"
    return client, session


def record_blocked_login(email: str | None, origin: Origin | None, reason: str) -> None:
    """A login refused before it is tried (the portal is off, or the caller's address is outside
    the allowlist) is a login attempt too (product.md §5): on record with the email it named,
    under the client when the email is one's (one GetItem, only on this refused path). Never raises."""
    email = email.strip() if email and len(email.strip()) <= 254 else None  # 254: the longest valid address
    portal_log.record(portal_log.LOGIN, portal_log.FAILURE, origin=origin,
                      client_id=_client_id_for_log(email) if email else None, email=email, reason=reason)


def _client_id_for_log(email: str) -> str | None:
    """Whose account a refused login named, for its portal-log entry; None when unknown or when
    the read fails (the log must not change the answer the caller gets)."""
    try:
        return client_store.client_id_by_email(email)
    except Exception as error:
        logger().warning("portal_log.client_lookup_failed", extra={"error": type(error).__name__})
        return None


def _login(email: str, password: str, second_factor: SecondFactor | None = None) -> tuple[Client, Any]:
    item = client_store.find_by_email(email)
    if not passwords.verify_password(item.password_hash if item else None, password) or item is None:
        if item is None:
            raise LoginRefused("unknown_email")
        # An invited client has no password yet: no guess is right, and the log says why.
        raise LoginRefused("wrong_password" if item.password_hash else "not_active", item.id)
    if item.status == DISABLED:
        raise AccountBlocked("This account has been deactivated. Contact your helpdesk.", "account_disabled", item.id)
    if item.status == INACTIVE and item.signup == "self":
        raise AccountBlocked("Confirm your email address first: follow the link we sent you.",
                             "email_not_verified", item.id)
    if item.status != ACTIVE:
        raise LoginRefused("not_active", item.id)
    if item.organization_portal_off:
        # After the right password only, like the global switch's answer: it tells a guesser nothing.
        raise OrganizationPortalBlocked(item.id)
    challenge = second_factor(item) if second_factor else None
    if challenge is not None:
        return client_store.to_client(item), challenge
    now = utcnow()
    extra = [UserModel.last_login_at.set(now)]
    if passwords.needs_rehash(item.password_hash or ""):
        extra.append(UserModel.password_hash.set(passwords.hash_password(password)))
    # Conditioned on the hash just verified: a password changed meanwhile wins.
    session = start_session(item, extra_actions=extra, condition=UserModel.password_hash == item.password_hash)
    item.last_login_at = now  # what the update wrote; the answer needs no second read
    return client_store.to_client(item), session


def impersonate(client_id: str, *, agent: str, origin: Origin | None = None) -> tuple[Client, Session]:
    """"Log in as client" (product.md §5): a read-only portal session of IMPERSONATION_TTL for an
    agent, only for an active client (409 otherwise, as for other state-dependent actions;
    404 for no such client). Recorded in the portal log with the agent, whatever the outcome."""
    with portal_log.recorded(portal_log.IMPERSONATION, origin) as attempt:
        attempt.client_id, attempt.agent = client_id, agent
        item = client_store.load_item(client_id)
        attempt.email = item.email
        if item.status != ACTIVE:
            raise Conflict(f"Only an active client's portal can be viewed; this client is {item.status}.")
        try:
            session = start_session(item, read_only=True, agent=agent, ttl=IMPERSONATION_TTL)
        except Unauthorized:
            raise Conflict("The client changed meanwhile; try again.") from None
    return client_store.to_client(item), session


def parse_token(token: str | None) -> tuple[str, str] | None:
    if not token or len(token) > 200 or "." not in token:
        return None
    client_id, _, secret = token.partition(".")
    if not client_id or not secret or "#" in client_id:
        return None
    return client_id, secret


def authenticate(token: str | None) -> ActingClient:
    """The client behind a session token, in one GetItem; 401 otherwise."""
    return _authenticated(token)[1]


def current_session(token: str | None) -> tuple[ActingClient, Client] | None:
    """The session's client and their account (the same one GetItem), or None when there is no
    live session: for the page's first check, which is not an error when logged out."""
    try:
        item, acting = _authenticated(token)
    except Unauthorized:
        return None
    return acting, client_store.to_client(item)


def client_view(token: str | None) -> ActingClient:
    """An agent's read-only view (impersonation) session, for the page to keep as its own
    cookie; 401 for any other token, so a client's own session cannot be turned into one."""
    acting = authenticate(token)
    if not acting.read_only:
        raise Unauthorized("This is not a read-only client view link.")
    return acting


def _authenticated(token: str | None) -> tuple[UserModel, ActingClient]:
    parsed = parse_token(token)
    if parsed is None:
        raise Unauthorized("Log in to continue.")
    client_id, secret = parsed
    item = client_store.find_item(client_id)
    if item is None or item.status != ACTIVE:
        raise Unauthorized("Your session has ended. Log in again.")
    key = _key(secret)
    value = _stored_sessions(item).get(key)
    now = utcnow()
    if not value or value.get("exp", 0) <= now.timestamp():
        raise Unauthorized("Your session has ended. Log in again.")
    if item.organization_portal_off:
        # The organization was switched off after this session began (the flag is copied onto
        # each client item): refused like the global switch, and on record.
        portal_log.record(portal_log.SESSION_REFUSED, portal_log.FAILURE, client_id=item.id, email=item.email,
                          reason="portal_blocked", agent=value.get("agent"))
        raise OrganizationPortalBlocked(item.id)
    return item, ActingClient(
        id=item.id, email=item.email or "", name=item.name, phone=item.phone, organization_id=item.organization_id,
        role=item.role or "client_user", read_only=bool(value.get("ro")), impersonated_by=value.get("agent"),
        session_key=key, expires_at=datetime.fromtimestamp(value["exp"], tz=now.tzinfo),
    )


def logout(token: str | None) -> None:
    """End this session (only this one). Unknown or ended sessions are fine: 204 anyway."""
    parsed = parse_token(token)
    if parsed is None:
        return
    client_id, secret = parsed
    item = client_store.find_item(client_id)
    if item is None or item.sessions is None:
        return
    try:
        item.update(actions=[UserModel.sessions[_key(secret)].remove()], condition=UserModel.sessions.exists())
    except UpdateError:
        return


def keep_only(key: str, item: UserModel) -> dict[str, Any]:
    """The sessions map with only `key` left: a password change ends the other sessions."""
    value = _stored_sessions(item).get(key)
    return {key: value} if value else {}
