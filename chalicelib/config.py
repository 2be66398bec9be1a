"""Settings that come from the environment (deploy-time), as opposed to the product
settings agents edit at run time (see services/settings.py).

Everything is read lazily and cached: `reset()` lets tests and the local stack change
the environment and start over.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

# Every table the app uses, by logical name. The environment variable that carries the
# physical name is PORTICO_<NAME>_TABLE; the default keeps local runs and tests simple.
TABLES = ("settings", "organizations", "users", "tickets", "notes", "outbox", "portal_log", "throttle", "idempotency",
          "attachments")

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def table_name(logical: str) -> str:
    stage = os.environ.get("PORTICO_STAGE", "local")
    return os.environ.get(f"PORTICO_{logical.upper()}_TABLE", f"portico-{stage}-{logical.replace('_', '-')}")


def attachments_bucket() -> str:
    """The private S3 bucket holding uploaded and attached files (PORTICO_ATTACHMENTS_BUCKET)."""
    stage = os.environ.get("PORTICO_STAGE", "local")
    return os.environ.get("PORTICO_ATTACHMENTS_BUCKET") or f"portico-{stage}-attachments"


def aws_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def aws_endpoint_url() -> str | None:
    """Where AWS lives: None in AWS itself, the moto server's URL in the local stack."""
    return os.environ.get("PORTICO_AWS_ENDPOINT_URL") or None


@dataclass(frozen=True)
class Config:
    stage: str
    region: str
    aws_endpoint_url: str | None
    user_pool_id: str
    user_pool_client_id: str
    jwks_url: str
    portal_url: str
    mail_sender: str
    mail_configuration_set: str | None  # SES configuration set for sending events; optional
    agents_email: str
    secret_key: bytes
    settings_cache_seconds: float
    trust_gateway_authorizer: bool

    @property
    def token_issuer(self) -> str:
        # moto issues tokens whose `iss` names real AWS, so the issuer is always this form.
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"


def _secret_key(stage: str) -> bytes:
    key = os.environ.get("PORTICO_SECRET_KEY")
    if key:
        return key.encode()
    secret_arn = os.environ.get("PORTICO_SECRET_KEY_ARN")
    if secret_arn:
        # Stages deployed with `chalice deploy` (infra's `-c app=chalice`) cannot pass a
        # deploy-time secret reference: read it once per container from Secrets Manager.
        from chalicelib import aws

        return aws.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"].encode()
    if stage in ("local", "test"):
        return b"portico-local-development-key-not-for-production"
    raise RuntimeError("PORTICO_SECRET_KEY must be set outside the local stack")


def _running_behind_api_gateway() -> bool:
    """True in a deployed Lambda, where API Gateway's Cognito authorizer has already
    verified the token. `chalice local` and chalice.test.Client never set this variable,
    so they always verify tokens themselves. PORTICO_VERIFY_AGENT_TOKENS=1 forces it."""
    if os.environ.get("PORTICO_VERIFY_AGENT_TOKENS") == "1":
        return False
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")) and os.environ.get("AWS_EXECUTION_ENV", "").startswith(
        "AWS_Lambda"
    )


@lru_cache(maxsize=1)
def get_config() -> Config:
    stage = os.environ.get("PORTICO_STAGE", "local")
    region = aws_region()
    pool_id = os.environ.get("PORTICO_USER_POOL_ID", "")
    endpoint = aws_endpoint_url()
    default_jwks = (
        f"{endpoint.rstrip('/')}/{pool_id}/.well-known/jwks.json"
        if endpoint
        else f"https://cognito-idp.{region}.amazonaws.com/{pool_id}/.well-known/jwks.json"
    )
    return Config(
        stage=stage,
        region=region,
        aws_endpoint_url=endpoint,
        user_pool_id=pool_id,
        user_pool_client_id=os.environ.get("PORTICO_USER_POOL_CLIENT_ID", ""),
        jwks_url=os.environ.get("PORTICO_JWKS_URL") or default_jwks,
        portal_url=os.environ.get("PORTICO_PORTAL_URL", "http://127.0.0.1:8000/portal").rstrip("/"),
        mail_sender=os.environ.get("PORTICO_MAIL_SENDER", "support@portico.example"),
        mail_configuration_set=os.environ.get("PORTICO_MAIL_CONFIGURATION_SET") or None,
        agents_email=os.environ.get("PORTICO_AGENTS_EMAIL", "agents@portico.example"),
        secret_key=_secret_key(stage),
        settings_cache_seconds=float(os.environ.get("PORTICO_SETTINGS_CACHE_SECONDS", "10")),
        trust_gateway_authorizer=_running_behind_api_gateway(),
    )


def reset() -> None:
    get_config.cache_clear()
