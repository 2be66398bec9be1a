"""Least-privilege IAM for the Chalice functions: one role per function, holding only the
tables, actions and services that function uses.

Chalice names its functions after the handlers in app.py (`APIHandler` for the HTTP API;
`SweepOutbox` for `def sweep_outbox`). A function not listed in FUNCTION_ACCESS gets a
role by the kind of its trigger (see `access_for`): every table and no mail for a
schedule, its table's stream for a stream handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

# No Scan: every read in the app is a GetItem, BatchGetItem or Query (a product rule),
# so the roles do not allow one.
READ_ACTIONS = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem",
                "dynamodb:DescribeTable"]
WRITE_ACTIONS = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]
STREAM_ACTIONS = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                  "dynamodb:ListStreams"]
# An append-only table (the portal log, an audit trail): read and add, never change or delete.
APPEND_ACTIONS = ["dynamodb:PutItem"]
SEND_MAIL_ACTIONS = ["ses:SendTemplatedEmail"]
# GET /agent/agents and PATCH /agent/agents/{username} (groups) go through the Cognito admin API.
MANAGE_AGENTS_ACTIONS = ["cognito-idp:ListUsers", "cognito-idp:AdminGetUser",
                         "cognito-idp:AdminListGroupsForUser", "cognito-idp:AdminAddUserToGroup",
                         "cognito-idp:AdminRemoveUserFromGroup"]
TRACE_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]

ALL_TABLES = None


@dataclass(frozen=True)
class Access:
    """What one function may do. `tables=None` means every table of the stack."""

    tables: tuple[str, ...] | None = ALL_TABLES
    read_only: tuple[str, ...] = ()
    append_only: tuple[str, ...] = ()
    send_mail: bool = False
    manage_agents: bool = False
    read_agents: bool = False  # AdminGetUser only: who an agent is, by username or email
    stream_tables: tuple[str, ...] = ()


FUNCTION_ACCESS: dict[str, Access] = {
    # The HTTP API: every table (route → service → model), agents through Cognito's admin API.
    # It never sends mail itself: mail is written to the outbox in the same transaction.
    # The portal log is the clients' audit trail: the API adds entries, never deletes them.
    "APIHandler": Access(manage_agents=True, append_only=("portal_log",)),
    # Mail delivery (services/mail_delivery.py): the outbox and SES, and a read of the
    # address's bounce/complaint state (users table, `suppress#<email>`) before each send.
    "DeliverOutboxStream": Access(tables=("outbox", "users"), read_only=("users",), stream_tables=("outbox",),
                                  send_mail=True),
    "SweepOutbox": Access(tables=("outbox", "users"), read_only=("users",), send_mail=True),
    # SES feedback (services/mail_feedback.py): the address items and the clients' copies.
    "HandleMailFeedback": Access(tables=("users",)),
    # The hourly invitation resend (services/invitations.py): reads the settings, updates the
    # invited clients and their token items, queues the welcome mail in the outbox.
    "ResendInvitations": Access(tables=("users", "settings", "outbox")),
    # Email in (services/mail_in.py): a reply becomes a note (tickets, notes, their files and
    # mail), mail to the support address a ticket (and maybe an inactive client); the message
    # claim and the per-sender counter live in the throttle table; agents are found by email.
    # Its S3 reads (inbound/) and file writes (tickets/) are granted by stacks/mail_in.py and files.py.
    "HandleInboundMail": Access(tables=("tickets", "notes", "users", "settings", "outbox", "throttle",
                                        "attachments"), read_only=("settings",), read_agents=True),
    # CSV imports (services/imports.py), invoked by the API: the job, the organizations it
    # names, the clients and assets it writes, and the invitations it queues.
    "RunImport": Access(tables=("imports", "organizations", "users", "assets", "settings", "outbox")),
}
# The function POST /agent/imports invokes asynchronously (InvocationType=Event).
IMPORT_FUNCTION = "RunImport"
IMPORT_TIMEOUT_SECONDS = 900  # Lambda's longest: a 10,000-row file with room to spare


def access_for(function_name: str, sam_function: dict[str, Any], stream_tables: dict[str, str]) -> Access:
    """The listed access, or one inferred from the function's trigger."""
    if function_name in FUNCTION_ACCESS:
        return FUNCTION_ACCESS[function_name]
    events = sam_function.get("Properties", {}).get("Events", {}) or {}
    streamed = tuple(
        logical for event in events.values() if event.get("Type") == "DynamoDB"
        for logical, arn in stream_tables.items() if event.get("Properties", {}).get("Stream") == arn
    )
    if streamed:
        return Access(tables=streamed, stream_tables=streamed)
    # A scheduled job: the tables (its service decides which); its mail goes through the
    # outbox like a request's.
    return Access()


def function_role(
    scope: Construct,
    construct_id: str,
    *,
    access: Access,
    tables: dict[str, dynamodb.Table],
    user_pool_arn: str,
    mail_sender: str,
    secret_arn: str | None = None,
) -> iam.Role:
    stack = cdk.Stack.of(scope)
    statements: list[iam.PolicyStatement] = []
    chosen = tables if access.tables is None else {name: tables[name] for name in access.tables if name in tables}
    limited = (*access.read_only, *access.append_only)
    read_write = [t for name, t in chosen.items() if name not in limited]
    read_only = [t for name, t in chosen.items() if name in access.read_only]
    append_only = [t for name, t in chosen.items() if name in access.append_only]

    def arns(group: list[dynamodb.Table]) -> list[str]:
        return [arn for t in group for arn in (t.table_arn, f"{t.table_arn}/index/*")]

    if read_write:
        statements.append(iam.PolicyStatement(actions=READ_ACTIONS + WRITE_ACTIONS, resources=arns(read_write)))
    if read_only:
        statements.append(iam.PolicyStatement(actions=READ_ACTIONS, resources=arns(read_only)))
    if append_only:
        statements.append(iam.PolicyStatement(actions=READ_ACTIONS + APPEND_ACTIONS, resources=arns(append_only)))
    streamed = [tables[name] for name in access.stream_tables if name in tables]
    if streamed:
        statements.append(iam.PolicyStatement(
            actions=STREAM_ACTIONS, resources=[f"{t.table_arn}/stream/*" for t in streamed]))
    if access.send_mail:
        statements.append(iam.PolicyStatement(
            actions=SEND_MAIL_ACTIONS,
            resources=[stack.format_arn(service="ses", resource=kind, resource_name="*")
                       for kind in ("identity", "template", "configuration-set")],
            conditions={"StringEquals": {"ses:FromAddress": mail_sender}},
        ))
    if access.manage_agents:
        statements.append(iam.PolicyStatement(actions=MANAGE_AGENTS_ACTIONS, resources=[user_pool_arn]))
    elif access.read_agents:
        statements.append(iam.PolicyStatement(actions=["cognito-idp:AdminGetUser"], resources=[user_pool_arn]))
    if secret_arn:
        # Only with `chalice deploy`, where the app reads PORTICO_SECRET_KEY_ARN at start-up.
        statements.append(iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[secret_arn]))
    # X-Ray accepts no resource-level permissions.
    statements.append(iam.PolicyStatement(actions=TRACE_ACTIONS, resources=["*"]))
    return iam.Role(
        scope, construct_id,
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"Portico {construct_id}: least privilege for one Chalice function",
        inline_policies={"portico": iam.PolicyDocument(statements=statements)},
    )


def grant_logs(scope: Construct, construct_id: str, role: iam.Role, log_group_arn: str,
               create_group: bool = False) -> None:
    """Writing to its own log group only (a group's `Arn` attribute ends in `:*`, which
    covers its streams). The stack creates the groups, with a retention period, except for
    `chalice deploy`, where Lambda creates its group on first use."""
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"] + (["logs:CreateLogGroup"] if create_group else [])
    iam.Policy(scope, construct_id, roles=[role],
               statements=[iam.PolicyStatement(actions=actions, resources=[log_group_arn])])
