"""Make Chalice's local gateway (used by `chalice local` and chalice.test.Client) answer as the
deployed API Gateway does: safe to reach with a garbage Authorization header, and 404
`not_found` for a path or method no route declares.

Chalice only *decodes* Cognito tokens locally, and a header that is not three dot-separated
segments of JSON makes its decoder raise, which its local server answers with a 500 (or a
dropped connection). We make the decoder return no claims instead: the request then reaches
the app, whose own verification (services/agent_auth.py) answers 401. Deployed, API Gateway
does the first check and this code does not exist.
"""

from __future__ import annotations

import json
from typing import Any

from chalice import local

_original = local.LocalGatewayAuthorizer._decode_jwt_payload
_original_handle_request = local.LocalGateway.handle_request


def _tolerant_decode(self: Any, jwt: str) -> dict:
    try:
        claims = _original(self, jwt)
    except Exception:  # any undecodable header: no claims, let the app say 401
        return {}
    return claims if isinstance(claims, dict) else {}


class NotFoundError(local.LocalGatewayException):
    CODE = 404


def _not_found() -> NotFoundError:
    """What the deployed gateway answers (infra: MISSING_AUTHENTICATION_TOKEN → 404), with the
    app's security headers."""
    from chalicelib.routes.middleware import API_CSP, SECURITY_HEADERS

    headers = {"Content-Type": "application/json", **SECURITY_HEADERS, "Content-Security-Policy": API_CSP,
               "Cache-Control": "no-store"}
    return NotFoundError(headers, json.dumps({"code": "not_found", "message": "Not found."}).encode())


def _declared(gateway: Any, method: str, path: str) -> bool:
    """Whether a route declares this path with this method (OPTIONS: Chalice's own preflight)."""
    try:
        route = gateway.event_converter._route_matcher.match_route(path.split("?")[0])
    except ValueError:
        return False
    return method.upper() == "OPTIONS" or method.upper() in gateway._app_object.routes.get(route.route, {})


def _handle_request(self: Any, method: str, path: str, headers: Any, body: Any) -> Any:
    # API Gateway answers an unknown path, or a known one with a method none of its routes has,
    # itself, without calling the function: Chalice locally says 403 "Missing Authentication
    # Token" or lets the app say 405.
    if not _declared(self, method, path):
        raise _not_found()
    return _original_handle_request(self, method, path, headers, body)


def harden() -> None:
    local.LocalGatewayAuthorizer._decode_jwt_payload = _tolerant_decode  # type: ignore[method-assign]
    local.LocalGateway.handle_request = _handle_request  # type: ignore[method-assign]
