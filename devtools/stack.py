"""Create everything the app needs in an AWS endpoint (moto locally): tables, SES sender
and templates, the agents' Cognito pool with its app client and groups, demo data.

Used by `make run` (devtools/run.py) and by the tests' fixtures, so both run the same setup.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

from chalicelib import aws
from chalicelib.services.agent_auth import GROUPS


@dataclass
class CognitoPool:
    user_pool_id: str
    user_pool_client_id: str
    user_pool_arn: str


def create_tables() -> None:
    from chalicelib.models import table_models

    for model in table_models().values():
        if not model.exists():
            model.create_table(wait=True)
        ttl_attribute = getattr(model.Meta, "ttl_attribute", None)
        if ttl_attribute:
            aws.client("dynamodb").update_time_to_live(
                TableName=model.Meta.table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute})


def create_attachments_bucket() -> str:
    """The files bucket (services/attachments.py), with the CORS rule infra gives it: the
    portal's origin may POST uploads, nothing else. moto does not enforce a POST policy,
    nor CORS; the rule is here so the local stack is configured as deployed."""
    from urllib.parse import urlsplit

    from chalicelib.config import attachments_bucket, get_config

    s3 = aws.client("s3")
    bucket = attachments_bucket()
    s3.create_bucket(Bucket=bucket)  # us-east-1: no location constraint
    portal = urlsplit(get_config().portal_url)
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": [f"{portal.scheme}://{portal.netloc}"], "AllowedMethods": ["POST"],
        "AllowedHeaders": ["*"], "MaxAgeSeconds": 3600}]})
    return bucket


def create_inbound_bucket() -> str:
    """The bucket SES receiving stores raw inbound mail in (devtools/mail_in.py hands it on)."""
    from devtools.mail_in import create_inbound_bucket as create

    return create()


def create_mail(sender: str) -> None:
    from chalicelib.config import get_config
    from chalicelib.mail.templates import load_templates

    ses = aws.client("ses")
    ses.verify_email_identity(EmailAddress=sender)
    existing = {t["Name"] for t in ses.list_templates().get("TemplatesMetadata", [])}
    for template in load_templates(get_config().stage):
        if template["TemplateName"] in existing:
            ses.update_template(Template=template)
        else:
            ses.create_template(Template=template)
    create_configuration_set(os.environ.get("PORTICO_MAIL_CONFIGURATION_SET"))


def create_configuration_set(name: str | None) -> None:
    """The SES configuration set every send names, with its event destination (an SNS
    topic), as infra creates it. moto publishes nothing to it: `make mail-feedback` stands in."""
    if not name:
        return
    ses = aws.client("ses")
    if name in {c["Name"] for c in ses.list_configuration_sets().get("ConfigurationSets", [])}:
        return
    ses.create_configuration_set(ConfigurationSet={"Name": name})
    from chalicelib.config import mail_feedback_topic

    topic_arn = aws.client("sns").create_topic(Name=mail_feedback_topic())["TopicArn"]
    ses.create_configuration_set_event_destination(ConfigurationSetName=name, EventDestination={
        "Name": "feedback", "Enabled": True, "MatchingEventTypes": ["bounce", "complaint", "reject", "delivery"],
        "SNSDestination": {"TopicARN": topic_arn}})


def create_cognito(pool_name: str = "portico-agents") -> CognitoPool:
    idp = aws.client("cognito-idp")
    pool = idp.create_user_pool(
        PoolName=pool_name,
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireUppercase": True, "RequireLowercase": True,
                                     "RequireNumbers": True, "RequireSymbols": False}},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
    )["UserPool"]
    app_client = idp.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="portico-agent-api", GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        # Cognito's ID token carries every readable attribute; moto only those named here.
        # `name` is the agent's display name on their notes.
        ReadAttributes=["email", "email_verified", "name"],
    )["UserPoolClient"]
    for group in GROUPS:
        idp.create_group(UserPoolId=pool["Id"], GroupName=group)
    return CognitoPool(pool["Id"], app_client["ClientId"], pool["Arn"])


def create_agent(pool: CognitoPool, email: str, password: str, groups: list[str], name: str = "") -> str:
    """Create a confirmed agent with a permanent password; returns the Cognito username."""
    idp = aws.client("cognito-idp")
    user = idp.admin_create_user(
        UserPoolId=pool.user_pool_id, Username=email, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
                        *([{"Name": "name", "Value": name}] if name else [])],
    )["User"]
    idp.admin_set_user_password(UserPoolId=pool.user_pool_id, Username=email, Password=password, Permanent=True)
    for group in groups:
        idp.admin_add_user_to_group(UserPoolId=pool.user_pool_id, Username=email, GroupName=group)
    return user["Username"]


def agent_id_token(pool: CognitoPool, email: str, password: str) -> str:
    """Log in as an agent the way a front end would (USER_PASSWORD_AUTH) and return the ID token."""
    idp = aws.client("cognito-idp")
    answer = idp.initiate_auth(ClientId=pool.user_pool_client_id, AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": email, "PASSWORD": password})
    return answer["AuthenticationResult"]["IdToken"]


def environment(pool: CognitoPool) -> dict[str, str]:
    """The environment variables the app needs to find this pool."""
    return {
        "PORTICO_USER_POOL_ID": pool.user_pool_id,
        "PORTICO_USER_POOL_CLIENT_ID": pool.user_pool_client_id,
        "PORTICO_USER_POOL_ARN": pool.user_pool_arn,
    }


def apply_environment(values: dict[str, str]) -> None:
    from chalicelib import config

    os.environ.update(values)
    config.reset()


def fresh(endpoint: str, timeout: float = 30) -> CognitoPool:
    """Empty the moto server and build the stack again: tables, the attachments bucket, mail
    templates, a new pool.
    The bench starts each case from here (the tests build once and restore a snapshot:
    `InProcessSnapshot`), with the app's caches cleared."""
    import requests

    requests.post(f"{endpoint}/moto-api/reset", timeout=timeout)
    aws.reset()
    create_tables()
    create_attachments_bucket()
    create_inbound_bucket()
    create_mail(os.environ["PORTICO_MAIL_SENDER"])
    pool = create_cognito()
    use(pool)
    return pool


def use(pool: CognitoPool) -> None:
    """Point the app at this pool and forget what it cached of AWS state (settings, keys, the
    attachments' S3 client)."""
    from chalicelib.services import agent_auth, attachments, settings

    apply_environment(environment(pool))
    attachments.reset()
    settings.clear_cache()
    agent_auth.jwks_cache.clear()


class InProcessSnapshot:
    """Every moto backend's state, copied, for a moto server running in this process
    (ThreadedMotoServer): `restore()` puts the state back as it was when taken, in a few
    milliseconds, where `fresh()` rebuilds it over HTTP in about a second. Backends created
    after the snapshot (a service or region first used later) are emptied, as moto's reset does.
    Ids stay the same across restores: the pool's ids the app reads from the environment hold.

    moto keeps its backends in process-wide registries that anything in the process may reset
    (`mock_aws()` does on entry and exit, dropping every backend and the list of those in use),
    so `restore()` starts from what was saved, not from what moto currently lists."""

    def __init__(self) -> None:
        import copy

        from moto.core.base_backend import BackendDict, backend_lock

        with backend_lock:
            self._saved = {id(backends): (backends, {
                (account_id, region): copy.deepcopy(backend)
                for account_id, regional in backends.items() for region, backend in regional.items()})
                for backends in BackendDict._instances}

    def restore(self) -> None:
        import copy

        from moto.core.base_backend import BackendDict, backend_lock
        from moto.core.model_instances import reset_model_data

        with backend_lock:
            for backends, pristine_by_place in self._saved.values():
                for (account_id, region), pristine in pristine_by_place.items():
                    # Indexing re-creates (and re-registers) a backend a reset dropped; one that
                    # survived stays the same object (moto's handlers look it up by account and
                    # region): only its state is replaced.
                    backends[account_id][region].__dict__ = copy.deepcopy(pristine).__dict__
            for backends in BackendDict._instances:
                saved = self._saved.get(id(backends), (None, {}))[1]
                for account_id, regional in backends.items():
                    for region, backend in regional.items():
                        if (account_id, region) not in saved:
                            backend.reset()
            reset_model_data()  # /moto-api/data.json lists what was made since (e.g. sent mail)


def as_dict(pool: CognitoPool) -> dict[str, Any]:
    return asdict(pool)
