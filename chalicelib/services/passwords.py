"""Client passwords: the policy (product.md §1.9) and Argon2id hashing.

argon2-cffi and zxcvbn are imported on first use: neither is needed to import the app.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.config import get_config
from chalicelib.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 256
# zxcvbn scores 0..4; below 2 are passwords found in its lists of common passwords,
# names and keyboard patterns, or trivially derived from them.
MIN_STRENGTH = 2


@lru_cache(maxsize=1)
def _hasher() -> Any:
    from argon2 import PasswordHasher  # lazy: cold start

    if get_config().argon2_profile == "fast":
        # Tests only: the same algorithm (Argon2id) with cheap parameters.
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()  # argon2-cffi's default: Argon2id, RFC 9106 low-memory profile


def check_policy(password: str, *, email: str, name: str | None = None, field: str = "password") -> None:
    problem = policy_problem(password, email=email, name=name)
    if problem:
        raise InvalidInput(problem, fields={field: problem})


def policy_problem(password: str, *, email: str, name: str | None = None) -> str | None:
    if len(password) < MIN_LENGTH:
        return f"The password must have at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"The password must have at most {MAX_LENGTH} characters."
    lowered = password.strip().lower()
    if lowered in (email.lower(), email.lower().split("@")[0]):
        return "The password must not be your email address."
    from zxcvbn import zxcvbn  # lazy: cold start

    if zxcvbn(password[:100], user_inputs=[email, *(name.split() if name else [])])["score"] < MIN_STRENGTH:
        return "This password is too common or too easy to guess."
    return None


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant work whether or not there is a hash: an unknown email costs the same
    time as a wrong password, so timing does not tell whether an account exists."""
    from argon2.exceptions import InvalidHashError, VerificationError  # lazy: cold start

    try:
        return _hasher().verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("portico-timing-equaliser")
