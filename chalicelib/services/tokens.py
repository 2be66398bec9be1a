"""Single-use tokens sent by email: activation, sign-up verification, password reset.

A token is 256 random bits; only its SHA-256 is stored (`token#<hash>` in the users
table), together with its purpose, owner and expiry. The owner also records the hash of
the one token of each purpose currently valid, so issuing a new one kills the old link.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.errors import Gone
from chalicelib.ids import hash_secret, new_secret
from chalicelib.models.base import get_of_kind
from chalicelib.models.users import ACTIVE, TOKEN_KIND, UserModel, token_item_id
from chalicelib.services.client_store import find_item

ACTIVATION, VERIFY, RESET = "activation", "verify", "reset"
EMAIL_CHANGE = "email_change"  # confirms an agent's change of a client's email (services/email_change.py)
# Used tokens are kept a while after expiry so an old link still says "already used".
KEEP_AFTER_EXPIRY = timedelta(days=30)


@dataclass(frozen=True)
class IssuedToken:
    secret: str  # goes into the email, never stored
    hash: str
    item: UserModel  # unsaved: the caller saves it in its own transaction


def issue(user_id: str, purpose: str, ttl: timedelta, now: datetime) -> IssuedToken:
    secret = new_secret()
    token_hash = hash_secret(secret)
    expires = now + ttl
    item = UserModel(token_item_id(token_hash), kind=TOKEN_KIND, purpose=purpose, user_id=user_id,
                     expires_at=expires, expires_ttl=math.ceil((expires + KEEP_AFTER_EXPIRY).timestamp()))
    return IssuedToken(secret, token_hash, item)


def expired() -> Gone:
    return Gone("This link has expired or was replaced by a newer one. Ask for a new one.", code="token_expired")


def used() -> Gone:
    return Gone("This link was already used. Log in instead.", code="token_used")


# Which field of the owner holds the hash of its one valid token, per purpose.
CURRENT_FIELD = {ACTIVATION: "invite_token_hash", VERIFY: "invite_token_hash", RESET: "reset_token_hash",
                 EMAIL_CHANGE: "email_token_hash"}


def _find(token_hash: str) -> UserModel | None:
    return get_of_kind(UserModel, token_item_id(token_hash), TOKEN_KIND)


def redeemable(secret: str, purpose: str, now: datetime) -> tuple[str, UserModel, UserModel]:
    """(hash, token item, owner) of a token that can be used now; otherwise 410:
    `token_used` when it was used, or when the account it invited is active by now (an old
    invitation leads to "already activated, log in", never an error page), else
    `token_expired` (expired, replaced by a newer link, unknown or garbage)."""
    if not secret or len(secret) > 200:
        raise expired()
    token_hash = hash_secret(secret)
    token = _find(token_hash)
    if token is None or token.purpose != purpose:
        raise expired()
    owner = find_item(token.user_id or "")
    if token.used_at is not None:
        raise _of(used(), owner)
    current = getattr(owner, CURRENT_FIELD[purpose]) if owner else None
    if owner is not None and current != token_hash and purpose != RESET and owner.status == ACTIVE:
        raise _of(used(), owner)
    if owner is None or current != token_hash or token.expires_at is None or token.expires_at <= now:
        raise _of(expired(), owner)
    return token_hash, token, owner


def _of(error: Gone, owner: UserModel | None) -> Gone:
    """The refusal, naming the link's client when there is one (for the portal log)."""
    error.client_id = owner.id if owner else None  # type: ignore[attr-defined]
    error.email = owner.email if owner else None  # type: ignore[attr-defined]
    return error


def mark_used_action(now: datetime) -> list:
    return [UserModel.used_at.set(now)]


def unused_condition():
    return UserModel.used_at.does_not_exist()
