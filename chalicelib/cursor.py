"""Opaque pagination cursors that reveal nothing.

A cursor carries DynamoDB's LastEvaluatedKey (or another list's position, such as Cognito's
pagination token), encrypted with AES-GCM under a key derived from the stage's secret key.
The binding (what the cursor is valid for: routes/api.py derives it from the route, its path
parameters, the caller and the validated filters) is the associated data: a cursor that was
altered, that was made under another secret, or that is used for another list does not
decrypt, and is refused as bad input.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from functools import lru_cache
from typing import Any

from chalicelib.config import get_config
from chalicelib.errors import InvalidInput

_NONCE_BYTES = 12  # AES-GCM's standard nonce; random per cursor
_KEY_PURPOSE = b"portico pagination cursor key v1"


@lru_cache(maxsize=4)
def _cipher_for(secret_key: bytes) -> Any:
    """AES-GCM under a key for cursors only (HMAC-SHA256 of a fixed purpose under the stage's
    secret), so no other use of the secret can be turned against cursors, nor they against it."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # lazy: cold start

    return AESGCM(hmac.new(secret_key, _KEY_PURPOSE, hashlib.sha256).digest())


def _cipher() -> Any:
    return _cipher_for(get_config().secret_key)


def encode_cursor(binding: str, last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    payload = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher().encrypt(nonce, payload, binding.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def decode_cursor(binding: str, cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    from cryptography.exceptions import InvalidTag  # lazy: cold start

    bad = InvalidInput("The cursor is not valid for this list.", fields={"cursor": "invalid cursor"})
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, TypeError):
        raise bad from None
    nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    if len(nonce) < _NONCE_BYTES or not sealed:
        raise bad
    try:
        value = json.loads(_cipher().decrypt(nonce, sealed, binding.encode()))
    except (InvalidTag, ValueError):
        raise bad from None
    if not isinstance(value, dict):
        raise bad
    return value
