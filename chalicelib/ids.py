"""Identifiers, secrets and time: small helpers every capability shares."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime


def new_id() -> str:
    """A ULID: unique, and sorts by creation time, so it doubles as a range key."""
    from ulid import ULID  # lazy: cold start

    return str(ULID())


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def new_secret(nbytes: int = 32) -> str:
    """A random URL-safe secret (256 bits by default; the product asks for at least 128)."""
    return secrets.token_urlsafe(nbytes)


def hash_secret(secret: str) -> str:
    """Tokens are stored only as this hash. SHA-256 suffices: the input is 256 random bits,
    so there is nothing to brute-force (unlike a password)."""
    return hashlib.sha256(secret.encode()).hexdigest()

