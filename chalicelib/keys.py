"""Per-purpose keys derived from the stage's secret key (HKDF-SHA256, RFC 5869).

Everything the app seals or signs with the stage's secret (TOTP secrets, "remember this
device" cookies, short codes' hashes; cursors could move here too) uses a key of its own,
so no use of the secret can be turned against another. What a key protects is stored with
the key's version beside it: after the runbook's rotation (docs/operations.md, "Rotate the
secret key") the older secret stays readable under its version (PORTICO_OLDER_SECRET_KEYS)
while everything new is written under the current one.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from chalicelib.config import get_config

KEY_BYTES = 32
_SALT = b"portico key derivation v1"


class UnknownKeyVersion(LookupError):
    """Something was sealed under a secret this stage no longer holds."""


def current_version() -> int:
    return get_config().secret_key_version


def _secret(version: int) -> bytes:
    config = get_config()
    if version == config.secret_key_version:
        return config.secret_key
    try:
        return config.older_secret_keys[version]
    except KeyError:
        raise UnknownKeyVersion(version) from None


@lru_cache(maxsize=32)
def _hkdf(secret: bytes, purpose: str) -> bytes:
    # HKDF-Extract then one block of HKDF-Expand: 32 bytes need no more (standard library only,
    # so deriving a key imports nothing heavy).
    prk = hmac.new(_SALT, secret, hashlib.sha256).digest()
    return hmac.new(prk, f"portico:{purpose}".encode() + b"\x01", hashlib.sha256).digest()[:KEY_BYTES]


def derive(purpose: str, version: int | None = None) -> bytes:
    """The key for `purpose` under the secret of `version` (default: the current one)."""
    return _hkdf(_secret(current_version() if version is None else version), purpose)
