"""Settings that come from the environment (deploy-time), as opposed to the product
settings agents edit at run time (see services/settings.py). The app reads environment
variables here and nowhere else (Powertools also reads its own POWERTOOLS_* variables).

`get_config()` reads and checks them all on first use and caches the result; a value the
app cannot use fails there, naming its variable. `reset()` lets tests and the local stack
change the environment and start over. A few values are read on their own, without the
whole Config (which needs the secret key): table names, region and endpoint (when models
are imported), the attachments bucket (the portal page's CSP names its origin), the ARNs
Chalice's decorators need when app.py is imported, and the log level.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

# Every table the app uses, by logical name. The environment variable that carries the
# physical name is PORTICO_<NAME>_TABLE; the default keeps local runs and tests simple.
TABLES = ("settings", "organizations", "users", "tickets", "notes", "outbox", "portal_log", "throttle", "idempotency",
          "attachments", "articles", "assets", "imports")

ARGON2_PROFILES = ("default", "fast")  # fast: tests only, the same algorithm with cheap parameters
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")

# Chalice reads these ARNs when app.py is imported (at deploy/package time too). Importing must
# never fail (tests, `chalice local`, cold start), so an unset variable gives a placeholder;
# deploying requires the real ones (the stack's outputs).
USER_POOL_ARN_PLACEHOLDER = "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_local"
OUTBOX_STREAM_ARN_PLACEHOLDER = (
    "arn:aws:dynamodb:us-east-1:000000000000:table/portico-outbox/stream/set-PORTICO_OUTBOX_STREAM_ARN"
)


class ConfigurationError(RuntimeError):
    """An environment variable holds a value the app cannot use; the message names it."""


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = os.environ.get(name) or default
    if value not in allowed:
        raise ConfigurationError(f"{name} must be one of {', '.join(allowed)}; it is {value!r}.")
    return value


def _number(name: str, default: str, *, whole: bool = False) -> float:
    """A count of hours must be whole and at least 1; a number of seconds may be 0."""
    raw = os.environ.get(name) or default
    wanted = "a whole number, 1 or more" if whole else "a number, 0 or more"
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be {wanted}; it is {raw!r}.") from None
    if not value >= (1 if whole else 0):  # `not >=` also refuses NaN
        raise ConfigurationError(f"{name} must be {wanted}; it is {raw!r}.")
    return value


def user_pool_arn() -> str:
    """The agents' Cognito user pool, for the API Gateway authorizer (read at import)."""
    return os.environ.get("PORTICO_USER_POOL_ARN") or USER_POOL_ARN_PLACEHOLDER


def outbox_stream_arn() -> str:
    """The outbox table's stream, for the mail stream handler (read at import)."""
    return os.environ.get("PORTICO_OUTBOX_STREAM_ARN") or OUTBOX_STREAM_ARN_PLACEHOLDER


def _topic(variable: str, name: str) -> str:
    """An SNS topic's name (Chalice completes the ARN in the stack's account and region), read
    at import like the stream ARN: `variable`, else by convention `portico-<stage>-<name>`."""
    stage = os.environ.get("PORTICO_STAGE", "local")
    return os.environ.get(variable) or f"portico-{stage}-{name}"


def mail_feedback_topic() -> str:
    """The topic the SES configuration set publishes its events to (infra/stacks/mail.py)."""
    return _topic("PORTICO_MAIL_FEEDBACK_TOPIC", "mail-feedback")


def mail_in_topic() -> str:
    """The topic SES's receipt rule notifies when it has stored a message in the inbound
    bucket (infra/stacks/mail_in.py)."""
    return _topic("PORTICO_MAIL_IN_TOPIC", "mail-in")


def log_level() -> str:
    """The application log's level (Powertools Logger), read when the logger is first built."""
    level = (os.environ.get("POWERTOOLS_LOG_LEVEL") or "INFO").upper()
    if level not in LOG_LEVELS:
        raise ConfigurationError(f"POWERTOOLS_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}; it is {level!r}.")
    return level


def table_name(logical: str) -> str:
    stage = os.environ.get("PORTICO_STAGE", "local")
    return os.environ.get(f"PORTICO_{logical.upper()}_TABLE", f"portico-{stage}-{logical.replace('_', '-')}")


def _bucket(variable: str, suffix: str) -> str:
    """The S3 bucket `variable` names, by default `portico-<stage>-<suffix>`; a valid S3 name only."""
    stage = os.environ.get("PORTICO_STAGE", "local")
    name = os.environ.get(variable) or f"portico-{stage}-{suffix}"
    if not _BUCKET_NAME.match(name):
        raise ConfigurationError(f"{variable} must be an S3 bucket name; it is {name!r}.")
    return name


def attachments_bucket() -> str:
    """The private S3 bucket holding uploaded and attached files (PORTICO_ATTACHMENTS_BUCKET).
    Its name goes into the page's Content-Security-Policy, so only a valid S3 name is taken."""
    return _bucket("PORTICO_ATTACHMENTS_BUCKET", "attachments")


def inbound_bucket() -> str:
    """The private S3 bucket SES receiving stores raw inbound mail in (PORTICO_INBOUND_BUCKET),
    under `inbound/`; the mail-in handler reads each message from it once."""
    return _bucket("PORTICO_INBOUND_BUCKET", "inbound-mail")


def aws_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


DEFAULT_INDEX_SHARDS = 8
MAX_INDEX_SHARDS = 64


def index_shards() -> int:
    """PORTICO_INDEX_SHARDS: how many partition keys each write-hot index is spread over
    (models/shards.py). A deploy setting, the same for every function of a stage: an item's
    shard is derived from its id and this count, and readers query every shard, so changing
    it needs the re-shard migration in docs/architecture.md ("Sharded indexes")."""
    value = int(_number("PORTICO_INDEX_SHARDS", str(DEFAULT_INDEX_SHARDS), whole=True))
    if not 1 <= value <= MAX_INDEX_SHARDS:
        raise ConfigurationError(f"PORTICO_INDEX_SHARDS must be between 1 and {MAX_INDEX_SHARDS}.")
    return value


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
    # Email in (product.md §8): the domain SES receives reply addresses at, and the address
    # whose mail opens tickets (usually on that domain; its MX record points at SES).
    inbound_domain: str
    support_address: str
    secret_key: bytes
    secret_key_version: int  # stored beside what a derived key protects (chalicelib/keys.py)
    older_secret_keys: dict[int, bytes]  # earlier secrets by version, still readable after a rotation
    settings_cache_seconds: float
    trust_gateway_authorizer: bool
    session_ttl: timedelta  # how long a portal login lasts
    argon2_profile: str  # one of ARGON2_PROFILES
    # The `run_import` function that runs CSV imports (invoked asynchronously); unset: the local
    # stack and tests run them in a thread of the API's process.
    import_function: str | None = None

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
        import boto3  # lazy: cold start

        secrets = boto3.client("secretsmanager", region_name=aws_region(), endpoint_url=aws_endpoint_url())
        return secrets.get_secret_value(SecretId=secret_arn)["SecretString"].encode()
    if stage in ("local", "test"):
        return b"portico-local-development-key-not-for-production"
    raise ConfigurationError("PORTICO_SECRET_KEY must be set outside the local stack")


def _older_secret_keys() -> dict[int, bytes]:
    """PORTICO_OLDER_SECRET_KEYS: `<version>=<secret>` pairs, comma-separated (secrets never
    contain commas: the runbook makes them hex)."""
    raw = os.environ.get("PORTICO_OLDER_SECRET_KEYS") or ""
    keys: dict[int, bytes] = {}
    for pair in filter(None, (part.strip() for part in raw.split(","))):
        version, _, secret = pair.partition("=")
        if not version.strip().isdigit() or not secret:
            raise ConfigurationError("PORTICO_OLDER_SECRET_KEYS must be <version>=<secret> pairs, comma-separated.")
        keys[int(version)] = secret.encode()
    return keys


_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _domain(name: str, default: str) -> str:
    value = (os.environ.get(name) or default).strip().lower()
    if not _DOMAIN.match(value):
        raise ConfigurationError(f"{name} must be a domain name (such as in.example.com); it is {value!r}.")
    return value


def _support_address() -> str:
    """PORTICO_SUPPORT_ADDRESS; by default support@ the inbound domain."""
    value = (os.environ.get("PORTICO_SUPPORT_ADDRESS") or
             f"support@{_domain('PORTICO_INBOUND_DOMAIN', 'in.portico.example')}").strip()
    local, _, domain = value.rpartition("@")
    if not local or "+" in local or not _DOMAIN.match(domain.lower()):
        raise ConfigurationError(f"PORTICO_SUPPORT_ADDRESS must be an email address without '+'; it is {value!r}.")
    return value.lower()


def _running_behind_api_gateway() -> bool:
    """True in a deployed Lambda, where API Gateway's Cognito authorizer has already
    verified the token. `chalice local` and chalice.test.Client never set this variable,
    so they always verify tokens themselves. PORTICO_VERIFY_AGENT_TOKENS=1 forces it."""
    if os.environ.get("PORTICO_VERIFY_AGENT_TOKENS") == "1":
        return False
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")) and os.environ.get("AWS_EXECUTION_ENV", "").startswith(
        "AWS_Lambda"
    )


def _import_function() -> str | None:
    """The `run_import` function's name: set by the CDK stack; with `chalice deploy`, Chalice
    names it after the API's own function (<app>-<stage>-run_import)."""
    named = os.environ.get("PORTICO_IMPORT_FUNCTION")
    if named:
        return named
    own = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
    return f"{own}-run_import" if own and _running_behind_api_gateway() else None


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
        inbound_domain=_domain("PORTICO_INBOUND_DOMAIN", "in.portico.example"),
        support_address=_support_address(),
        secret_key=_secret_key(stage),
        secret_key_version=int(_number("PORTICO_SECRET_KEY_VERSION", "1", whole=True)),
        older_secret_keys=_older_secret_keys(),
        settings_cache_seconds=_number("PORTICO_SETTINGS_CACHE_SECONDS", "10"),
        trust_gateway_authorizer=_running_behind_api_gateway(),
        session_ttl=timedelta(hours=_number("PORTICO_SESSION_HOURS", "12", whole=True)),
        argon2_profile=_choice("PORTICO_ARGON2_PROFILE", "default", ARGON2_PROFILES),
        import_function=_import_function(),
    )


def reset() -> None:
    get_config.cache_clear()
