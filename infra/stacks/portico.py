"""One Portico stage: tables, the attachments bucket (stacks/files.py), the agents' Cognito
pool, SES templates, the secret key, the Chalice app (API, schedules, the outbox stream
handler) with one role per function, its edge protection (stacks/edge.py), canary releases
(stacks/releases.py), failure queues (stacks/failures.py), alarms and table backups.
Everything account-specific comes from the deploy-time context (see StageSettings;
docs/operations.md lists the settings)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import Annotations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
from chalice.cdk import Chalice
from constructs import Construct

from stacks.access import IMPORT_FUNCTION, IMPORT_TIMEOUT_SECONDS, access_for, function_role, grant_logs
from stacks.agents import AgentPool, SesSender
from stacks.alarms import Alarms
from stacks.backups import TableBackups
from stacks.edge import ApiEdge, WebAcl
from stacks.failures import FailureQueues
from stacks.files import FilesBucket, grant_mail_files
from stacks.mail import MailFeedback, MailTemplates
from stacks.mail_in import MailIn
from stacks.releases import publish_behind_alias, shift_traffic
from stacks.secret_key import key_environment
from stacks.tables import create_table, kept_data_policy, table_specs

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Chalice packages for the interpreter it runs on (runtime and wheels alike): infra runs on 3.13.
RUNTIME = "python3.13"
# The functions that send mail: reserved concurrency (when set) keeps their capacity when a
# flood of requests takes the rest of the account's.
MAIL_FUNCTIONS = ("DeliverOutboxStream", "SweepOutbox")
PLACEHOLDER_SENDER = "support@example.com"
PLACEHOLDER_AGENTS = "agents@example.com"
# API Gateway's own answers: (response type, status or None to keep its own, code, message or None
# to keep API Gateway's). An unknown path is API Gateway's 403 "Missing Authentication Token":
# 404 here, as the app answers; a body over API Gateway's 10 MB is 400 like the app's 256 KB limit.
GATEWAY_RESPONSES = (
    ("UNAUTHORIZED", "401", "unauthorized", "Authentication is required."),
    ("ACCESS_DENIED", "403", "forbidden", None),
    ("MISSING_AUTHENTICATION_TOKEN", "404", "not_found", "Not found."),
    ("REQUEST_TOO_LARGE", "400", "validation_error", "The request body is too large (256 KB at most)."),
    ("THROTTLED", "429", "too_many_requests", "Too many requests. Try again later."),
    ("DEFAULT_4XX", None, "error", None),
    ("DEFAULT_5XX", None, "internal_error", "Something went wrong on our side. The request was not completed."),
)


@dataclass(frozen=True)
class StageSettings:
    """What differs between stages and accounts, from `-c key=value` (or cdk.json).
    docs/operations.md lists them; infra/deploy.py sets the two that depend on the account's
    state (deletionProtection, agentMailFromSes)."""

    stage: str
    production: bool
    mail_sender: str
    agents_email: str
    portal_url: str
    alarm_email: str | None
    threat_protection: bool
    sender_identity: str  # email | domain | existing
    app_mode: str  # cdk: the Chalice app is in this stack | chalice: resources only, for `chalice deploy`
    # Off on a stack's first deploy, so that a failed creation can roll back (delete) its tables
    # and pool; deploy.py turns it on for production once the stack exists.
    deletion_protection: bool
    # Cognito mails agents through SES only once the sender is verified (CreateUserPool fails
    # otherwise); deploy.py checks the identity and turns it on.
    agent_mail_from_ses: bool
    throttle_rate: float  # API stage: steady requests per second, all clients together
    throttle_burst: int
    mail_reserved_concurrency: int  # per mail function; 0 = unreserved (accounts with a quota of 10)
    waf: bool
    waf_portal_post_limit: int  # POSTs to /portal/* per client IP per 5 minutes
    deployment_preference: str  # CodeDeploy traffic shift of the API function
    backup: bool
    backup_retention_days: int
    api_gateway_logs_role: bool  # set the account's API Gateway CloudWatch role (needed for access logs)
    # The secret's current version number and the older ones still read (stacks/secret_key.py;
    # docs/operations.md, "Rotate the secret key").
    secret_version: str | None
    # PORTICO_INDEX_SHARDS: partition keys per write-hot index (chalicelib/models/shards.py); changing
    # it on a stage with data is the re-shard migration in docs/architecture.md ("Sharded indexes").
    index_shards: int
    # Email in: the domain SES receives reply addresses at (its MX record points at SES) and
    # the address whose mail opens tickets (default support@<inbound domain>).
    inbound_domain: str | None
    support_address: str | None
    older_secret_versions: str | None

    @classmethod
    def from_context(cls, scope: Construct, stage: str) -> StageSettings:
        def get(key: str, default: Any = None) -> Any:
            value = scope.node.try_get_context(key)
            return default if value in (None, "") else value

        def flag(key: str, default: bool) -> bool:
            return str(get(key, default)).lower() in ("1", "true", "yes", "on")

        production = flag("production", stage == "prod")
        return cls(
            stage=stage,
            production=production,
            mail_sender=get("mailSender", PLACEHOLDER_SENDER),
            agents_email=get("agentsEmail", PLACEHOLDER_AGENTS),
            portal_url=get("portalUrl", ""),
            alarm_email=get("alarmEmail"),
            threat_protection=flag("threatProtection", True),
            sender_identity=get("senderIdentity", "email"),
            app_mode=get("app", "cdk"),
            deletion_protection=production and flag("deletionProtection", False),
            agent_mail_from_ses=flag("agentMailFromSes", False),
            throttle_rate=float(get("throttleRate", 50)),
            throttle_burst=int(get("throttleBurst", 100)),
            mail_reserved_concurrency=int(get("mailReservedConcurrency", 0)),
            waf=flag("waf", production),
            waf_portal_post_limit=int(get("wafPortalPostLimit", 100)),
            deployment_preference=get("deploymentPreference",
                                      "Canary10Percent5Minutes" if production else "AllAtOnce"),
            backup=flag("backup", production),
            backup_retention_days=int(get("backupRetentionDays", 35)),
            api_gateway_logs_role=flag("apiGatewayLogsRole", True),
            secret_version=get("secretVersion"),
            index_shards=int(get("indexShards", 8)),
            inbound_domain=get("inboundDomain"),
            support_address=get("supportAddress"),
            older_secret_versions=get("olderSecretVersions"),
        )


class PorticoStack(cdk.Stack):
    def __init__(self, scope: Construct, stage: str, **kwargs: Any) -> None:
        # The construct id is the Chalice stage name: the Chalice construct takes its stage
        # from its scope, so `prod` here packages the `prod` stage of .chalice/config.json.
        super().__init__(scope, stage, stack_name=f"portico-{stage}",
                         description=f"Portico ({stage}): client portal and helpdesk API", **kwargs)
        settings = StageSettings.from_context(self, stage)
        self.template_options.metadata = {"PorticoStage": stage}
        self.settings = settings

        specs, undefined = table_specs()
        for logical in undefined:
            Annotations.of(self).add_warning_v2(
                "portico:table-undefined",
                f"config.TABLES lists '{logical}' but no model is registered in TABLE_OWNERS: no table created")
        self.tables = {logical: create_table(self, stage, spec, production=settings.production,
                                               deletion_protection=settings.deletion_protection)
                       for logical, spec in specs.items()}
        stream_tables = {logical: table.table_stream_arn for logical, table in self.tables.items()
                         if specs[logical].stream_view_type}

        self.agents = AgentPool(self, "Agents", stage=stage, production=settings.production,
                                deletion_protection=settings.deletion_protection,
                                threat_protection=settings.threat_protection,
                                ses_sender=self._agent_mail_sender(settings))
        self.files = FilesBucket(self, "Files", production=settings.production, portal_url=settings.portal_url)
        self.mail = MailTemplates(self, "Mail", stage=stage, sender=settings.mail_sender,
                                  sender_identity=settings.sender_identity)
        # Mail reliability: configuration set + feedback topic (its name is the one app.py subscribes to).
        self.mail_feedback = MailFeedback(self, "MailFeedback", stage=stage)
        # Email in: receipt rule -> inbound bucket + topic (its name is the one app.py subscribes to).
        self.mail_in = MailIn(self, "MailIn", stage=stage, inbound_domain=settings.inbound_domain,
                              support_address=settings.support_address)
        self.secret_key = secretsmanager.Secret(
            self, "SecretKey",
            description=f"Portico {stage}: PORTICO_SECRET_KEY (signs pagination cursors)",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64, exclude_punctuation=True),
            removal_policy=kept_data_policy(settings.production),
        )

        # app.py reads these at import time to declare the authorizer and the stream
        # handler; `chalice package` imports it in this process, and CDK resolves the tokens.
        os.environ["PORTICO_USER_POOL_ARN"] = self.agents.pool.user_pool_arn
        if "outbox" in stream_tables:
            os.environ["PORTICO_OUTBOX_STREAM_ARN"] = stream_tables["outbox"]
        self.functions: dict[str, str] = {}
        self.roles: dict[str, iam.Role] = {}
        self.stream_functions: list[str] = []
        self.failures: FailureQueues | None = None
        if settings.app_mode == "chalice":
            self._roles_for_chalice_deploy(settings, stream_tables)
        else:
            self._chalice_app(settings, stream_tables)
        self.files.grant_api(self.roles["APIHandler"])
        if "HandleInboundMail" in self.roles:
            self.mail_in.grant_handler(self.roles["HandleInboundMail"])
            grant_mail_files(self.files, self.roles["HandleInboundMail"])  # a mail's files become the note's
        if IMPORT_FUNCTION in self.roles:
            self.files.grant_read_uploads(self.roles[IMPORT_FUNCTION])

        self.alarms = Alarms(self, "Alarms", stage=stage, api_name=self.api_name, api_stage=self.api_stage,
                             functions=self.functions, tables=self.tables, alarm_email=settings.alarm_email)
        for name in self.stream_functions:
            self.alarms.stream_lag(self.functions[name], name)
        if self.failures:
            self.alarms.queue_not_empty("StreamFailuresWaiting", self.failures.stream,
                                        "Outbox stream batches failed after their retries")
            self.alarms.queue_not_empty("ScheduleFailuresWaiting", self.failures.schedules,
                                        "A scheduled job failed or could not be started")
        if settings.app_mode == "cdk":
            shift_traffic(self.chalice, settings.deployment_preference,
                          [self.alarms.alarms["Api5xxRate"], self.alarms.alarms["APIHandlerErrors"]])
        self.mail_feedback.watch(self.alarms)  # mail alarms (stacks/mail.py)
        self.backups = None
        if settings.backup:
            self.backups = TableBackups(self, "Backups", stage=stage, tables=list(self.tables.values()),
                                        retention_days=settings.backup_retention_days)
        self._outputs()
        self._suppressions()

    @staticmethod
    def _agent_mail_sender(settings: StageSettings) -> SesSender | None:
        """Cognito's own mailer sends 50 mails a day: agents' invitations and codes go through
        SES, From the stage's sender, once that identity is verified."""
        if not settings.agent_mail_from_ses:
            return None
        domain = settings.mail_sender.split("@")[-1] if settings.sender_identity == "domain" else None
        return SesSender(address=settings.mail_sender, verified_domain=domain)

    def _role(self, name: str, sam_function: dict[str, Any], stream_tables: dict[str, str]) -> iam.Role:
        role = function_role(self, f"{name}Role", access=access_for(name, sam_function, stream_tables),
                             tables=self.tables, user_pool_arn=self.agents.pool.user_pool_arn,
                             mail_sender=self.settings.mail_sender,
                             secret_arn=self.secret_key.secret_arn if self.settings.app_mode == "chalice" else None)
        self.roles[name] = role
        return role

    def _chalice_app(self, settings: StageSettings, stream_tables: dict[str, str]) -> None:
        """The whole app in this stack: `chalice package` through Chalice's CDK construct."""
        api_role = self._role("APIHandler", {}, stream_tables)
        self.chalice = Chalice(
            self, "ChaliceApp", source_dir=str(PROJECT_DIR),
            stage_config={
                "environment_variables": self._environment(settings),
                # Roles are this stack's, one per function (overridden below).
                "manage_iam_role": False,
                "iam_role_arn": api_role.role_arn,
                "xray": True,
            },
        )
        sam = json.loads((Path(self.chalice._sam_package_dir) / "sam.json").read_text())
        self.api_stage = sam["Resources"].get("RestAPI", {}).get("Properties", {}).get("StageName", "api")
        self.api_name = f"portico-{settings.stage}"
        if "RestAPI" in sam["Resources"]:
            api = self.chalice.get_resource("RestAPI")
            api.add_property_override("Name", self.api_name)
            self._gateway_responses()
            self.edge = ApiEdge(self, "Edge", api=api, api_stage=self.api_stage,
                                throttle_rate=settings.throttle_rate, throttle_burst=settings.throttle_burst,
                                logs_role=settings.api_gateway_logs_role, production=settings.production)
            if settings.waf:
                self.web_acl = WebAcl(self, "Waf", stage=settings.stage, api_id=api.ref, api_stage=self.api_stage,
                                      stage_resource=f"RestAPI{self.api_stage}Stage",
                                      portal_post_limit=settings.waf_portal_post_limit)
        self.failures = FailureQueues(self, "Failures")

        sam_functions = {name: r for name, r in sam["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
        for name, resource in sam_functions.items():
            function = self.chalice.get_resource(name)
            self.functions[name] = function.ref
            if resource["Properties"].get("Runtime") != RUNTIME:
                Annotations.of(self).add_error(
                    f"{name} would run on {resource['Properties'].get('Runtime')}: run infra with Python "
                    f"{RUNTIME.removeprefix('python')} (make venv), Chalice packages for its own interpreter")
            role = api_role
            if name != "APIHandler":
                role = self._role(name, resource, stream_tables)
                function.add_property_override("Role", role.role_arn)
            self.failures.wire(function, resource, role)
            if any(e["Type"] == "DynamoDB" for e in resource["Properties"].get("Events", {}).values()):
                self.stream_functions.append(name)
            if name in MAIL_FUNCTIONS and settings.mail_reserved_concurrency:
                function.add_property_override("ReservedConcurrentExecutions", settings.mail_reserved_concurrency)
            # Created here rather than by Chalice's `log_retention_in_days`, whose log group for
            # the API handler names a resource (`ApiHandler`) that its template does not have.
            log_group = logs.LogGroup(
                self, f"{name}LogGroup",
                log_group_name=cdk.Fn.sub("/aws/lambda/${Function}", {"Function": function.ref}),
                retention=logs.RetentionDays.ONE_YEAR if settings.production else logs.RetentionDays.ONE_MONTH,
                removal_policy=cdk.RemovalPolicy.RETAIN if settings.production else cdk.RemovalPolicy.DESTROY,
            )
            grant_logs(self, f"{name}Logs", role, log_group.log_group_arn)
        if IMPORT_FUNCTION in sam_functions:
            self._import_function(api_role)
        publish_behind_alias(self.chalice, sam, list(sam_functions))
        cdk.CfnOutput(self, "PortalUrl", description="The hosted portal (PORTICO_PORTAL_URL unless a custom domain "
                      "is used)", value=cdk.Fn.sub("https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"
                                                   + self.api_stage + "/portal"))

    def _import_function(self, api_role: iam.Role) -> None:
        """CSV imports run in their own function with a long timeout: the API invokes it
        asynchronously (its name in PORTICO_IMPORT_FUNCTION) and may do nothing else with it."""
        function = self.chalice.get_resource(IMPORT_FUNCTION)
        function.add_property_override("Timeout", IMPORT_TIMEOUT_SECONDS)
        self.chalice.get_resource("APIHandler").add_property_override(
            "Environment.Variables.PORTICO_IMPORT_FUNCTION", function.ref)
        api_role.add_to_policy(iam.PolicyStatement(actions=["lambda:InvokeFunction"],
                                                   resources=[function.get_att("Arn").to_string()]))

    def _gateway_responses(self) -> None:
        """Answers API Gateway gives without calling the function (its Cognito authorizer's 401,
        an unknown path, a body over its 10 MB, its own throttling, an integration failure) in
        the app's `{"code", "message"}` format with the app's security headers
        (chalicelib/routes/middleware.py; HSTS always: API Gateway is https only). Set on the
        SAM API itself, so they are part of its definition and every deployment carries them."""
        headers = {name: f"'{value}'" for name, value in (
            ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"), ("Referrer-Policy", "no-referrer"),
            ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"), ("Cache-Control", "no-store"),
            ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))}
        responses: dict[str, Any] = {}
        for response_type, status, code, message in GATEWAY_RESPONSES:
            text = json.dumps(message) if message else "$context.error.messageString"
            responses[response_type] = {
                "ResponseParameters": {"Headers": headers},
                "ResponseTemplates": {"application/json": f'{{"code": "{code}", "message": {text}}}'},
                **({"StatusCode": status} if status else {})}
        self.chalice.get_resource("RestAPI").add_property_override("GatewayResponses", responses)

    def _roles_for_chalice_deploy(self, settings: StageSettings, stream_tables: dict[str, str]) -> None:
        """Resources only (`-c app=chalice`): `chalice deploy --stage <stage>` creates the API and
        the functions, with the roles made here (devtools/chalice_config.py writes their ARNs,
        and this stack's other outputs, into .chalice/config.json)."""
        from chalice.utils import to_cfn_resource_name

        sys.path.insert(0, str(PROJECT_DIR))
        from app import app as chalice_app

        # chalice deploy names functions <app>-<stage>[-<handler>], the API <app>, the stage "api".
        self.api_name, self.api_stage = chalice_app.app_name, "api"
        handlers = {"api_handler": ("APIHandler", {})}
        for function in chalice_app.pure_lambda_functions:  # run_import: invoked by the API
            handlers[function.name] = (to_cfn_resource_name(function.name), {})
        for source in chalice_app.event_sources:
            events = {}
            stream = getattr(source, "stream_arn", None)
            if stream:
                events = {"Stream": {"Type": "DynamoDB", "Properties": {"Stream": stream}}}
            handlers[source.name] = (to_cfn_resource_name(source.name), {"Properties": {"Events": events}})
        for handler, (name, sam_function) in handlers.items():
            role = self._role(name, sam_function, stream_tables)
            function_name = f"{chalice_app.app_name}-{settings.stage}"
            if handler != "api_handler":
                function_name += f"-{handler}"
            self.functions[name] = function_name
            # Lambda creates the log group on first use under this name.
            grant_logs(self, f"{name}Logs", role, self.format_arn(
                service="logs", resource="log-group", resource_name=f"/aws/lambda/{function_name}:*",
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME), create_group=True)
            cdk.CfnOutput(self, f"{name}RoleArn", value=role.role_arn,
                          description=f"chalice: lambda_functions.{handler}.iam_role_arn")
            if name == IMPORT_FUNCTION:
                # The API derives this name (config: <its own name>-run_import) and invokes it.
                self.roles["APIHandler"].add_to_policy(iam.PolicyStatement(
                    actions=["lambda:InvokeFunction"], resources=[self.format_arn(
                        service="lambda", resource="function", resource_name=function_name,
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)]))

    def _environment(self, settings: StageSettings) -> dict[str, str]:
        env = {f"PORTICO_{logical.upper()}_TABLE": table.table_name for logical, table in self.tables.items()}
        env.update({
            "PORTICO_STAGE": settings.stage,
            "PORTICO_USER_POOL_ID": self.agents.pool.user_pool_id,
            "PORTICO_USER_POOL_CLIENT_ID": self.agents.client.user_pool_client_id,
            "PORTICO_USER_POOL_ARN": self.agents.pool.user_pool_arn,
            "PORTICO_PORTAL_URL": settings.portal_url,
            "PORTICO_MAIL_SENDER": settings.mail_sender,
            "PORTICO_AGENTS_EMAIL": settings.agents_email,
            "PORTICO_INDEX_SHARDS": str(settings.index_shards),
            "PORTICO_ATTACHMENTS_BUCKET": self.files.bucket.bucket_name,
            "PORTICO_INBOUND_BUCKET": self.mail_in.bucket.bucket_name,
            # Dynamic references: resolved at deploy time, never in the template.
            **key_environment(self.secret_key.secret_arn, settings.secret_version, settings.older_secret_versions),
            "POWERTOOLS_SERVICE_NAME": "portico",
            "POWERTOOLS_METRICS_NAMESPACE": "Portico",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            # Portico uses no pydantic plugin: skip the scan of every installed package's
            # entry points that pydantic's first model build would make (cold start).
            "PYDANTIC_DISABLE_PLUGINS": "__all__",
        })
        env["PORTICO_MAIL_CONFIGURATION_SET"] = self.mail_feedback.configuration_set_name
        if settings.inbound_domain:
            env["PORTICO_INBOUND_DOMAIN"] = settings.inbound_domain
        if settings.support_address:
            env["PORTICO_SUPPORT_ADDRESS"] = settings.support_address
        if "outbox" in self.tables and self.tables["outbox"].table_stream_arn:
            env["PORTICO_OUTBOX_STREAM_ARN"] = self.tables["outbox"].table_stream_arn
        if not settings.portal_url:
            Annotations.of(self).add_warning_v2(
                "portico:portal-url",
                "No portalUrl: emails will carry no portal link until the stack is deployed again with "
                "-c portalUrl=<the PortalUrl output> (make deploy does this second pass itself)")
        return env

    def _outputs(self) -> None:
        def output(name: str, value: str, description: str) -> None:
            cdk.CfnOutput(self, name, value=value, description=description)

        output("UserPoolId", self.agents.pool.user_pool_id, "PORTICO_USER_POOL_ID")
        output("UserPoolClientId", self.agents.client.user_pool_client_id, "PORTICO_USER_POOL_CLIENT_ID")
        output("UserPoolArn", self.agents.pool.user_pool_arn, "PORTICO_USER_POOL_ARN")
        if self.settings.app_mode == "chalice":
            # `chalice deploy` cannot pass a dynamic reference: the app reads the secret itself.
            output("SecretKeyArn", self.secret_key.secret_arn, "PORTICO_SECRET_KEY_ARN")
        else:
            output("SecretKeyArn", self.secret_key.secret_arn, "Secrets Manager secret holding PORTICO_SECRET_KEY")
        output("AlarmTopicArn", self.alarms.topic.topic_arn, "SNS topic the alarms notify")
        # What `make deploy` passes again when not told (infra/deploy.py): a deploy that forgot
        # them would seal under version 1 again and stop reading the newer versions.
        if self.settings.secret_version:
            output("SecretVersion", str(self.settings.secret_version), "-c secretVersion of the last deploy")
        if self.settings.older_secret_versions:
            output("OlderSecretVersions", str(self.settings.older_secret_versions),
                   "-c olderSecretVersions of the last deploy")
        output("MailSender", self.settings.mail_sender, "PORTICO_MAIL_SENDER")
        output("AgentsEmail", self.settings.agents_email, "PORTICO_AGENTS_EMAIL")
        for logical, table in self.tables.items():
            output(f"{table.node.id}Name", table.table_name, f"PORTICO_{logical.upper()}_TABLE")
        if "outbox" in self.tables:
            output("OutboxStreamArn", self.tables["outbox"].table_stream_arn, "PORTICO_OUTBOX_STREAM_ARN")

    def _suppressions(self) -> None:
        """Each cdk-nag finding Portico accepts, with the reason it is acceptable."""
        def wildcard(pattern: str) -> RegexAppliesTo:
            return RegexAppliesTo(regex=f"/^Resource::{pattern}$/g")

        NagSuppressions.add_stack_suppressions(self, [
            NagPackSuppression(
                id="AwsSolutions-IAM5",
                reason="A function may query every index of a table it uses: the indexes are the table's own, "
                       "declared in its model, and IAM has no other way to name 'this table's indexes'.",
                applies_to=[wildcard(r"<\w+\.Arn>\/index\/\*")],
            ),
            NagPackSuppression(
                id="AwsSolutions-IAM5",
                reason="A stream handler reads its table's stream; DynamoDB assigns the stream's label, so the "
                       "ARN is known only as <table ARN>/stream/*.",
                applies_to=[wildcard(r"<\w+\.Arn>\/stream\/\*")],
            ),
            NagPackSuppression(
                id="AwsSolutions-IAM5",
                reason="SES sending: any identity/template of this account and region, but only From the "
                       "configured sender (ses:FromAddress condition); templates are named by the app.",
                applies_to=[wildcard(r"arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:(identity|template|configuration-set)\/\*")],
            ),
            NagPackSuppression(
                id="AwsSolutions-IAM5",
                reason="With `chalice deploy` (-c app=chalice) Lambda creates each function's log group; the "
                       "role may write to that one group's streams (log-group:/aws/lambda/<function>:*).",
                applies_to=[wildcard(r"arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
                                     r"\/aws\/lambda\/[\w-]+:\*")],
            ),
            NagPackSuppression(
                id="AwsSolutions-IAM5",
                reason="X-Ray's PutTraceSegments/PutTelemetryRecords accept no resource-level permissions "
                       "(the tests check that '*' appears with those actions only).",
                applies_to=[wildcard(r"\*")],
            ),
        ])
        NagSuppressions.add_resource_suppressions(self.agents.pool, [NagPackSuppression(
            id="AwsSolutions-COG2",
            reason="MFA is optional (TOTP) rather than required so that the first admin can be created and "
                   "scripts can sign in with USER_PASSWORD_AUTH; the Plus plan's threat protection (ENFORCED) "
                   "blocks compromised credentials and challenges risky sign-ins.",
        )], apply_to_children=True)
        NagSuppressions.add_resource_suppressions(self.secret_key, [NagPackSuppression(
            id="AwsSolutions-SMG4",
            reason="PORTICO_SECRET_KEY signs cursors and seals TOTP secrets and device cookies under numbered "
                   "versions; rotating it needs redeploys (it reaches Lambda as deploy-time dynamic references) "
                   "in a safe order, a documented manual step (docs/operations.md, \"Rotate the secret key\").",
        )])
        NagSuppressions.add_resource_suppressions(self.alarms.topic, [NagPackSuppression(
            id="AwsSolutions-SNS2",
            reason="Alarm notifications carry no customer data, and CloudWatch cannot publish to a topic "
                   "encrypted with the AWS-managed SNS key; a customer-managed key adds cost for no benefit.",
        )], apply_to_children=True)
