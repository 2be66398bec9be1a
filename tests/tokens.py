"""Mint ID tokens for auth tests: with moto's own signing key (so only the claim under
test is wrong) or with a stranger's key (a forgery)."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from typing import Any

import moto
from joserfc import jwt
from joserfc.jwk import RSAKey

from chalicelib.config import get_config

_MOTO_KEY_FILE = Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-private.json.gz"


def moto_signing_key() -> RSAKey:
    return RSAKey.import_key(json.loads(gzip.decompress(_MOTO_KEY_FILE.read_bytes())))


def claims(**overrides: Any) -> dict[str, Any]:
    config = get_config()
    now = int(time.time())
    base = {
        "iss": config.token_issuer, "aud": config.user_pool_client_id, "token_use": "id",
        "sub": "0000", "cognito:username": "minted-agent", "email": "minted@helpdesk.test",
        "cognito:groups": ["admins"], "iat": now, "auth_time": now, "exp": now + 600,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def mint(key: RSAKey | None = None, kid: str = "dummy", **overrides: Any) -> str:
    return jwt.encode({"alg": "RS256", "kid": kid}, claims(**overrides), key or moto_signing_key())
