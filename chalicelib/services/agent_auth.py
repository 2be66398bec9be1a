"""Who the agent is, and what they may do.

Agents are Cognito users; permissions are Cognito groups. Behind API Gateway the Cognito
authorizer has already verified the ID token and we read its claims. Anywhere else
(`chalice local`, chalice.test.Client) the token has only been *decoded*, so we verify it
here: RS256 signature against the pool's JWKS, expiry, issuer, audience and token_use.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any

from chalicelib.config import get_config
from chalicelib.errors import Forbidden, Unauthorized
from chalicelib.identity import ActingAgent

GROUPS = ("admins", "manage-clients", "manage-tickets", "view-reports", "manage-knowledge", "manage-assets")
_JWKS_TTL_SECONDS = 3600
_JWKS_MIN_REFRESH_SECONDS = 60  # never hammer the JWKS endpoint when tokens carry unknown kids


def normalize_groups(value: Any) -> frozenset[str]:
    """`cognito:groups` arrives as a JSON list from a decoded token, and as a string from
    API Gateway's authorizer context ("a,b", "[a b]" or "[a, b]" depending on the path)."""
    if value is None:
        return frozenset()
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset(str(v).strip() for v in value if str(v).strip())
    text = str(value).strip().strip("[]")
    return frozenset(part for part in text.replace(",", " ").split() if part)


def require_permission(agent: ActingAgent, permission: str) -> None:
    if not agent.can(permission):
        raise Forbidden(f"This needs the '{permission}' permission.")


class _JwksCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._url = ""

    def key_for(self, kid: str) -> Any:
        url = get_config().jwks_url
        now = time.monotonic()
        stale = url != self._url or now - self._fetched_at > _JWKS_TTL_SECONDS
        unknown = kid not in self._keys and now - self._fetched_at > _JWKS_MIN_REFRESH_SECONDS
        if stale or unknown:
            with self._lock:
                self._keys = self._fetch(url)
                self._url, self._fetched_at = url, now
        return self._keys.get(kid)

    @staticmethod
    def _fetch(url: str) -> dict[str, Any]:
        from joserfc.jwk import RSAKey  # lazy: cold start

        if not url.startswith(("https://", "http://")):
            raise Unauthorized("The token cannot be verified.")
        try:
            # http(s) only, checked above; the URL is deploy-time configuration, never request input.
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310  # nosec B310
                document = json.load(response)
        except (OSError, ValueError):
            raise Unauthorized("The token cannot be verified right now.") from None
        return {key["kid"]: RSAKey.import_key(key) for key in document.get("keys", []) if key.get("kid")}

    def clear(self) -> None:
        with self._lock:
            self._keys, self._fetched_at, self._url = {}, 0.0, ""


jwks_cache = _JwksCache()


def verify_id_token(token: str) -> dict[str, Any]:
    """The verified claims of a Cognito ID token, or Unauthorized."""
    from joserfc import jws, jwt  # lazy: cold start
    from joserfc.errors import JoseError  # lazy: cold start

    config = get_config()
    invalid = Unauthorized("The token is missing, malformed, expired or not valid.")
    if token.lower().startswith("bearer "):
        token = token[7:]
    try:
        header = jws.extract_compact(token.encode()).protected
    except Exception:  # joserfc raises several types for garbage; all mean "not a JWS"
        raise invalid from None
    if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
        raise invalid
    key = jwks_cache.key_for(header["kid"])
    if key is None:
        raise invalid
    try:
        decoded = jwt.decode(token, key, algorithms=["RS256"])
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": config.token_issuer},
            aud={"essential": True, "value": config.user_pool_client_id},
            exp={"essential": True},
            token_use={"essential": True, "value": "id"},
        )
        registry.validate(decoded.claims)
    except (JoseError, ValueError, TypeError):
        raise invalid from None
    return dict(decoded.claims)


def agent_from_claims(claims: dict[str, Any]) -> ActingAgent:
    username = claims.get("cognito:username") or claims.get("username")
    if not username:
        raise Unauthorized("The token does not name an agent.")
    return ActingAgent(
        username=str(username),
        email=claims.get("email"),
        groups=normalize_groups(claims.get("cognito:groups")),
        sub=claims.get("sub"),
        name=(str(claims["name"]).strip() or None) if claims.get("name") else None,
    )


def authenticate_agent(authorization: str | None, gateway_claims: dict[str, Any] | None) -> ActingAgent:
    """The calling agent. Trust API Gateway's verified claims only when deployed behind it."""
    if get_config().trust_gateway_authorizer and gateway_claims:
        return agent_from_claims(gateway_claims)
    if not authorization:
        raise Unauthorized("Authentication is required.")
    return agent_from_claims(verify_id_token(authorization.strip()))
