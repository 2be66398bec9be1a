"""The deployable stack holds what the app needs, and its tables are the models' tables:
a model whose keys, indexes, TTL or stream differ from the template fails here.

The expectations come straight from PynamoDB (`Model._get_schema()`, what `create_table`
sends), not from infra/, so a mistake in the stack's derivation cannot hide a drift."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chalicelib import config
from chalicelib.mail.templates import load_templates
from chalicelib.models import table_models
from chalicelib.services.agent_auth import GROUPS
from tests.infra.conftest import STAGE, TEMPLATE


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def tables_by_name(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["TableName"]: r["Properties"] for r in resources(template, "AWS::DynamoDB::Table").values()}


def physical(logical: str) -> str:
    return f"portico-{STAGE}-{logical.replace('_', '-')}"


def keys(key_schema: list[dict[str, str]]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in key_schema}


def projection(value: dict[str, Any] | None) -> tuple[str, tuple[str, ...]]:
    value = value or {}
    return value.get("ProjectionType", "ALL"), tuple(sorted(value.get("NonKeyAttributes", [])))


def indexes(items: list[dict[str, Any]], name_key: str, keys_key: str, projection_key: str) -> dict[str, Any]:
    return {i[name_key]: (keys(i[keys_key]), projection(i.get(projection_key))) for i in items or []}


@pytest.mark.parametrize("logical", sorted(table_models()))
def test_each_model_has_its_table_with_the_same_keys_and_indexes(template, logical):
    model = table_models()[logical]
    schema = model._get_schema()
    table = tables_by_name(template).get(physical(logical))
    assert table, f"no table {physical(logical)} in the template for model {model.__name__}"

    assert keys(table["KeySchema"]) == keys(schema["key_schema"])
    assert indexes(table.get("GlobalSecondaryIndexes"), "IndexName", "KeySchema", "Projection") == indexes(
        schema["global_secondary_indexes"], "index_name", "key_schema", "projection")
    assert indexes(table.get("LocalSecondaryIndexes"), "IndexName", "KeySchema", "Projection") == indexes(
        schema["local_secondary_indexes"], "index_name", "key_schema", "projection")

    declared_types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    model_types = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
    for index in (*schema["global_secondary_indexes"], *schema["local_secondary_indexes"]):
        model_types.update({a["AttributeName"]: a["AttributeType"] for a in index.get("attribute_definitions", [])})
    assert declared_types == model_types

    ttl = getattr(model.Meta, "ttl_attribute", None)
    assert table.get("TimeToLiveSpecification") == ({"AttributeName": ttl, "Enabled": True} if ttl else None)
    stream = getattr(model.Meta, "stream_view_type", None)
    assert table.get("StreamSpecification") == ({"StreamViewType": stream} if stream else None)


def test_powertools_idempotency_table_uses_the_library_defaults(template):
    table = tables_by_name(template)[physical("idempotency")]
    assert keys(table["KeySchema"]) == {"HASH": "id"}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_every_table_is_on_demand_with_point_in_time_recovery_and_protected_in_prod(template, tuned_template):
    tables = resources(template, "AWS::DynamoDB::Table")
    assert len(tables) == len(set(table_models()) | {"idempotency"})
    for name, table in tables.items():
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST", name
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, name
        # Kept on update or delete, but a failed first deploy's rollback deletes it (retryable).
        assert table.get("DeletionPolicy") == ("RetainExceptOnCreate" if STAGE == "prod" else "Delete"), name
        assert table.get("UpdateReplacePolicy") == ("Retain" if STAGE == "prod" else "Delete"), name
        # Protection is off on the first deploy (a rollback could not delete the table) ...
        assert props.get("DeletionProtectionEnabled") is False, name
    # ... and on once the stack exists (infra/deploy.py passes deletionProtection=true).
    for name, table in resources(tuned_template, "AWS::DynamoDB::Table").items():
        assert table["Properties"]["DeletionProtectionEnabled"] is (STAGE == "prod"), name


def test_the_agents_pool_signs_in_by_email_with_strong_passwords_and_admin_created_accounts(template):
    (pool,) = resources(template, "AWS::Cognito::UserPool").values()
    props = pool["Properties"]
    assert props["UsernameAttributes"] == ["email"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    policy = props["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert all(policy[k] for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols"))
    assert props["UserPoolTier"] == "PLUS"
    assert props["UserPoolAddOns"]["AdvancedSecurityMode"] == "ENFORCED"

    (client,) = resources(template, "AWS::Cognito::UserPoolClient").values()
    flows = set(client["Properties"]["ExplicitAuthFlows"])
    assert {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"} <= flows
    assert client["Properties"]["GenerateSecret"] is False
    # No OAuth (hosted UI) flows, scopes or callback URLs: nothing signs in through them.
    assert client["Properties"].get("AllowedOAuthFlowsUserPoolClient") in (None, False)
    assert not {"AllowedOAuthFlows", "AllowedOAuthScopes", "CallbackURLs"} & set(client["Properties"])


def test_the_pool_has_the_permission_groups(template):
    groups = {g["Properties"]["GroupName"] for g in resources(template, "AWS::Cognito::UserPoolGroup").values()}
    assert groups == set(GROUPS) == {"admins", "manage-clients", "manage-tickets", "view-reports", "manage-knowledge",
                                     "manage-assets"}


def test_every_mail_template_file_is_an_ses_template_with_the_same_text(template):
    in_stack = {t["Properties"]["Template"]["TemplateName"]: t["Properties"]["Template"]
                for t in resources(template, "AWS::SES::Template").values()}
    # SES templates are per account and region: each carries the stage (portico-prod-ticket-created).
    files = {t["TemplateName"]: t for t in load_templates(STAGE)}
    assert all(name.startswith(f"portico-{STAGE}-") for name in files)
    assert set(in_stack) == set(files)
    for name, source in files.items():
        assert in_stack[name]["SubjectPart"] == source["SubjectPart"], name
        assert in_stack[name]["TextPart"] == source["TextPart"], name
        assert in_stack[name]["HtmlPart"] == source["HtmlPart"], name


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources(template, "AWS::Serverless::Function")


def chalice_app() -> Any:
    from app import app

    return app


def test_every_schedule_and_stream_handler_of_the_app_is_deployed(template):
    from chalice.app import DynamoDBEventConfig, ScheduledEventConfig
    from chalice.utils import to_cfn_resource_name

    deployed = functions(template)
    assert "APIHandler" in deployed
    for source in chalice_app().event_sources:
        function = deployed.get(to_cfn_resource_name(source.name))
        assert function, f"{source.name} is not in the template"
        events = list(function["Properties"].get("Events", {}).values())
        if isinstance(source, ScheduledEventConfig):
            expression = source.schedule_expression
            expression = expression if isinstance(expression, str) else expression.to_string()
            assert {"Type": "Schedule", "Schedule": expression} in [
                {"Type": e["Type"], "Schedule": e["Properties"].get("Schedule")} for e in events]
        elif isinstance(source, DynamoDBEventConfig):
            (event,) = [e for e in events if e["Type"] == "DynamoDB"]
            # The stream of a table of this stack, never a literal ARN from some account.
            assert event["Properties"]["Stream"]["Fn::GetAtt"][1] == "StreamArn"


def test_functions_get_the_tables_pool_and_mail_settings_from_the_stack(template):
    table_refs = {name: {"Ref": name} for name in resources(template, "AWS::DynamoDB::Table")}
    for name, function in functions(template).items():
        env = function["Properties"]["Environment"]["Variables"]
        for logical in set(table_models()) | {"idempotency"}:
            assert env[f"PORTICO_{logical.upper()}_TABLE"] in table_refs.values(), (name, logical)
        pool = next(iter(resources(template, "AWS::Cognito::UserPool")))
        assert env["PORTICO_USER_POOL_ID"] == {"Ref": pool}
        assert env["PORTICO_USER_POOL_ARN"] == {"Fn::GetAtt": [pool, "Arn"]}
        assert "Ref" in env["PORTICO_USER_POOL_CLIENT_ID"]
        assert "resolve:secretsmanager" in json.dumps(env["PORTICO_SECRET_KEY"])
        assert env["PORTICO_STAGE"] == STAGE
        assert {"PORTICO_PORTAL_URL", "PORTICO_MAIL_SENDER", "PORTICO_AGENTS_EMAIL"} <= set(env)
        assert env["POWERTOOLS_SERVICE_NAME"] == "portico"
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == "Portico"
        assert env["PYDANTIC_DISABLE_PLUGINS"] == "__all__"  # no plugin scan at the first model build


def role_statements(template: dict[str, Any], role_ref: dict[str, Any]) -> list[dict[str, Any]]:
    role_name = role_ref["Fn::GetAtt"][0]
    role = template["Resources"][role_name]
    statements = [s for p in role["Properties"].get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_name} in policy["Properties"].get("Roles", []):
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


def test_each_function_has_its_own_least_privilege_role(template):
    roles = [f["Properties"]["Role"] for f in functions(template).values()]
    assert len({json.dumps(r) for r in roles}) == len(roles), "functions share a role"
    for name, function in functions(template).items():
        granted = actions(role_statements(template, function["Properties"]["Role"]))
        assert not any(a.endswith("*") for a in granted), (name, granted)
        assert "dynamodb:Scan" not in granted, name
        assert not any(a.startswith("iam:") for a in granted), name
        for statement in role_statements(template, function["Properties"]["Role"]):
            if statement["Resource"] == "*":
                assert actions([statement]) <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, name
            if any(a.startswith("ses:") for a in actions([statement])):
                assert "ses:FromAddress" in statement["Condition"]["StringEquals"], name
    api_statements = role_statements(template, functions(template)["APIHandler"]["Properties"]["Role"])
    api = actions(api_statements)
    assert not any(a.startswith("ses:") for a in api), "the API queues mail in the outbox; it never sends"
    # The API starts CSV imports in their own function, and may invoke nothing else.
    invoke = [s for s in api_statements if "lambda:InvokeFunction" in actions([s])]
    assert [s["Resource"] for s in invoke] == [{"Fn::GetAtt": ["RunImport", "Arn"]}]
    run_import = functions(template)["RunImport"]["Properties"]
    assert run_import["Timeout"] == 900
    assert functions(template)["APIHandler"]["Properties"]["Environment"]["Variables"][
        "PORTICO_IMPORT_FUNCTION"] == {"Ref": "RunImport"}


def tables_in(template: dict[str, Any], statements: list[dict[str, Any]]) -> set[str]:
    """Names of the tables these statements grant anything on."""
    text = json.dumps(statements)
    return {props["TableName"] for logical, table in resources(template, "AWS::DynamoDB::Table").items()
            for props in [table["Properties"]] if f'"{logical}"' in text}


def test_jobs_reach_only_the_tables_they_use(template):
    role = functions(template)["ResendInvitations"]["Properties"]["Role"]
    expected = {physical(t) for t in ("users", "settings", "outbox")}
    assert tables_in(template, role_statements(template, role)) == expected
    role = functions(template)["RunImport"]["Properties"]["Role"]
    expected = {physical(t) for t in ("imports", "organizations", "users", "assets", "settings", "outbox")}
    assert tables_in(template, role_statements(template, role)) == expected
    for sender in ("SweepOutbox", "DeliverOutboxStream"):
        statements = role_statements(template, functions(template)[sender]["Properties"]["Role"])
        # The outbox, and a read of the address's bounce/complaint item (users) before each send.
        assert tables_in(template, statements) == {physical("outbox"), physical("users")}, sender
        writes = [s for s in statements if "dynamodb:UpdateItem" in actions([s])]
        assert tables_in(template, writes) == {physical("outbox")}, sender
    feedback = role_statements(template, functions(template)["HandleMailFeedback"]["Properties"]["Role"])
    assert tables_in(template, feedback) == {physical("users")}


def test_every_send_names_the_configuration_set_whose_events_reach_the_feedback_handler(template):
    [config_set] = resources(template, "AWS::SES::ConfigurationSet").values()
    name = config_set["Properties"]["Name"]
    for function in functions(template).values():
        assert function["Properties"]["Environment"]["Variables"]["PORTICO_MAIL_CONFIGURATION_SET"] == name
    [destination] = resources(template, "AWS::SES::ConfigurationSetEventDestination").values()
    events = destination["Properties"]["EventDestination"]
    assert sorted(events["MatchingEventTypes"]) == ["bounce", "complaint", "delivery", "reject"]
    topic_ref = events["SnsDestination"]["TopicARN"]["Ref"]
    topic_name = template["Resources"][topic_ref]["Properties"]["TopicName"]
    [subscription] = [e for e in functions(template)["HandleMailFeedback"]["Properties"]["Events"].values()
                      if e["Type"] == "SNS"]
    assert topic_name in json.dumps(subscription["Properties"]["Topic"])


def test_mail_alarms_watch_the_oldest_undelivered_message_and_ses_reputation(template):
    alarms = {a["Properties"].get("MetricName"): a["Properties"]
              for a in resources(template, "AWS::CloudWatch::Alarm").values()}
    assert alarms["OldestUndeliveredAgeSeconds"]["Threshold"] == 15 * 60
    assert alarms["Reputation.BounceRate"]["Threshold"] == 0.05
    assert alarms["Reputation.ComplaintRate"]["Threshold"] == 0.001
    assert "MailFailed" in alarms


def test_alarms_watch_5xx_function_errors_throttles_and_mail_failures(template):
    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    metrics = {(a.get("Namespace"), a.get("MetricName")) for a in alarms}
    assert ("AWS/ApiGateway", "5XXError") in metrics
    assert ("Portico", "MailFailed") in metrics
    for name in functions(template):
        for metric in ("Errors", "Throttles"):
            assert any(a.get("MetricName") == metric and a["Dimensions"] == [{"Name": "FunctionName",
                                                                             "Value": {"Ref": name}}]
                       for a in alarms), (name, metric)
    assert all(a.get("AlarmActions") for a in alarms), "every alarm notifies the topic"


def test_outputs_give_what_chalice_deploy_and_the_operators_need(template):
    outputs = set(template["Outputs"])
    assert {"UserPoolId", "UserPoolClientId", "UserPoolArn", "PortalUrl", "SecretKeyArn", "OutboxStreamArn"} <= outputs
    for logical in config.TABLES:
        if logical in table_models() or logical == "idempotency":
            assert any(o.endswith("TableName") and logical.replace("_", "").lower() in o.lower() for o in outputs)


def test_nothing_account_specific_is_hard_coded(template):
    text = json.dumps(template)
    assert "000000000000" not in text
    assert "arn:aws:" not in text.replace("arn:aws:iam::aws:policy", ""), "ARNs are built with ${AWS::Partition}"


def test_cfn_lint_passes(template):
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    answer = subprocess.run([str(cfn_lint), str(TEMPLATE)], capture_output=True, text=True, check=False)
    assert answer.returncode == 0, answer.stdout + answer.stderr


def test_the_resources_only_stack_for_chalice_deploy_gives_each_function_a_role():
    """`-c app=chalice`: no functions in the stack, but a role per Chalice function and every
    output devtools/chalice_config.py turns into .chalice/config.json."""
    from chalice.utils import to_cfn_resource_name

    from tests.infra.conftest import fresh_template

    template = fresh_template(TEMPLATE.with_name("template-chalice-deploy.json"), "app=chalice")
    assert not functions(template)
    descriptions = {o["Description"] for o in template["Outputs"].values()}
    handlers = {"api_handler", *(source.name for source in chalice_app().event_sources)}
    assert {f"chalice: lambda_functions.{h}.iam_role_arn" for h in handlers} <= descriptions
    assert {"PORTICO_USER_POOL_ARN", "PORTICO_OUTBOX_STREAM_ARN", "PORTICO_SECRET_KEY_ARN",
            "PORTICO_MAIL_SENDER"} <= descriptions
    roles = resources(template, "AWS::IAM::Role")
    assert {f"{to_cfn_resource_name(h) if h != 'api_handler' else 'APIHandler'}Role" for h in handlers} <= {
        name.rstrip("0123456789ABCDEF") for name in roles}


def test_api_gateways_own_answers_use_the_apps_error_format_and_security_headers(template):
    (api,) = resources(template, "AWS::Serverless::Api").values()
    responses = api["Properties"]["GatewayResponses"]
    assert {"UNAUTHORIZED", "ACCESS_DENIED", "MISSING_AUTHENTICATION_TOKEN", "DEFAULT_4XX",
            "DEFAULT_5XX"} <= set(responses)
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"  # an unknown path
    for kind, response in responses.items():
        headers = response["ResponseParameters"]["Headers"]
        assert headers["X-Content-Type-Options"] == "'nosniff'", kind
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], kind
        assert headers["Strict-Transport-Security"].startswith("'max-age="), kind
        body = response["ResponseTemplates"]["application/json"].replace("$context.error.messageString", '"m"')
        assert set(json.loads(body)) == {"code", "message"}, kind
