"""Opaque, tamper-proof pagination cursors.

A cursor is DynamoDB's LastEvaluatedKey, serialised, bound to the list it came from
(`scope`) and signed with HMAC-SHA256 under the deployment's secret key. A cursor that
was altered, or that belongs to another list, is refused as bad input.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from chalicelib.config import get_config
from chalicelib.errors import InvalidInput

_SIG_BYTES = 16


def _sign(scope: str, payload: bytes) -> bytes:
    return hmac.new(get_config().secret_key, scope.encode() + b"\0" + payload, hashlib.sha256).digest()[:_SIG_BYTES]


def encode_cursor(scope: str, last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    payload = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(_sign(scope, payload) + payload).decode().rstrip("=")


def decode_cursor(scope: str, cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    bad = InvalidInput("The cursor is not valid for this list.", fields={"cursor": "invalid cursor"})
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, TypeError):
        raise bad from None
    signature, payload = raw[:_SIG_BYTES], raw[_SIG_BYTES:]
    if len(signature) < _SIG_BYTES or not hmac.compare_digest(signature, _sign(scope, payload)):
        raise bad
    try:
        value = json.loads(payload)
    except ValueError:
        raise bad from None
    if not isinstance(value, dict):
        raise bad
    return value
