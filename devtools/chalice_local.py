"""Make Chalice's local gateway (used by `chalice local` and chalice.test.Client) safe to
reach with a garbage Authorization header.

Chalice only *decodes* Cognito tokens locally, and a header that is not three dot-separated
segments of JSON makes its decoder raise, which its local server answers with a 500 (or a
dropped connection). We make the decoder return no claims instead: the request then reaches
the app, whose own verification (services/agent_auth.py) answers 401. Deployed, API Gateway
does the first check and this code does not exist.
"""

from __future__ import annotations

from typing import Any

from chalice import local

_original = local.LocalGatewayAuthorizer._decode_jwt_payload


def _tolerant_decode(self: Any, jwt: str) -> dict:
    try:
        claims = _original(self, jwt)
    except Exception:  # any undecodable header: no claims, let the app say 401
        return {}
    return claims if isinstance(claims, dict) else {}


def harden() -> None:
    local.LocalGatewayAuthorizer._decode_jwt_payload = _tolerant_decode  # type: ignore[method-assign]
