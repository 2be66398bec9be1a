"""What makes the stack safe to run in a real account (issue 15), asserted on the synthesized
template: moto's CloudFormation has no CodeDeploy, aliases, WAFv2 or Backup, and cdk-nag's
rules never see the app (it arrives as AWS::Serverless::Function / Api), so these tests are
the check for the SAM resources: logging, throttling, tracing, concurrency, runtime, least
privilege, releases and recovery."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import STAGE
from tests.infra.test_template import actions, functions, resources, role_statements

ROOT = Path(__file__).resolve().parents[2]
MAIL_FUNCTIONS = ("DeliverOutboxStream", "SweepOutbox")


def the_api(template: dict[str, Any]) -> dict[str, Any]:
    (api,) = resources(template, "AWS::Serverless::Api").values()
    return api


def logical_of(template: dict[str, Any], kind: str) -> set[str]:
    return set(resources(template, kind))


def events(function: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["Properties"] for e in function["Properties"].get("Events", {}).values() if e["Type"] == kind]


# --- 1. retryable first deploy, retained data ----------------------------------------------------

def test_the_pool_and_the_secret_are_kept_except_when_a_first_deploy_rolls_back(template, tuned_template):
    for kind in ("AWS::Cognito::UserPool", "AWS::SecretsManager::Secret"):
        (resource,) = resources(template, kind).values()
        assert resource["DeletionPolicy"] == "RetainExceptOnCreate", kind
        assert resource["UpdateReplacePolicy"] == "Retain", kind
    (pool,) = resources(template, "AWS::Cognito::UserPool").values()
    assert pool["Properties"].get("DeletionProtection", "INACTIVE") == "INACTIVE"  # first deploy
    (pool,) = resources(tuned_template, "AWS::Cognito::UserPool").values()
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"  # once the stack exists


# --- 3 and 4. edge protection on the SAM API ----------------------------------------------------

def test_the_api_stage_throttles_logs_json_access_and_measures_every_method(template, tuned_template):
    for tmpl, rate, burst in ((template, 50, 100), (tuned_template, 20, 40)):
        props = the_api(tmpl)["Properties"]
        (settings,) = props["MethodSettings"]
        assert (settings["ResourcePath"], settings["HttpMethod"]) == ("/*", "*")
        assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (rate, burst)
        assert settings["MetricsEnabled"] is True
        assert settings["DataTraceEnabled"] is False  # bodies never reach the execution logs
        assert props["TracingEnabled"] is True
        access = props["AccessLogSetting"]
        log_group = access["DestinationArn"]["Fn::GetAtt"][0]
        assert tmpl["Resources"][log_group]["Type"] == "AWS::Logs::LogGroup"
        assert tmpl["Resources"][log_group]["Properties"]["RetentionInDays"] >= 30
        fields = json.loads(access["Format"])
        assert {"requestId", "ip", "method", "path", "status", "latencyMs"} <= set(fields)
    # API Gateway needs the account's CloudWatch role before a stage can log; the API waits for it.
    (account,) = resources(template, "AWS::ApiGateway::Account")
    assert account in the_api(template)["DependsOn"]


def test_the_mail_functions_reserve_concurrency_only_when_asked(template, tuned_template):
    # Default: nothing reserved, so the stack deploys in an account with the default quota of 10.
    assert not any("ReservedConcurrentExecutions" in f["Properties"] for f in functions(template).values())
    for name, function in functions(tuned_template).items():
        expected = 5 if name in MAIL_FUNCTIONS else None
        assert function["Properties"].get("ReservedConcurrentExecutions") == expected, name


def test_a_web_acl_guards_the_api_in_prod_with_managed_rules_and_a_rate_limit_on_portal_posts(template,
                                                                                               tuned_template):
    (acl,) = resources(template, "AWS::WAFv2::WebACL").values()
    props = acl["Properties"]
    assert props["Scope"] == "REGIONAL" and props["DefaultAction"] == {"Allow": {}}
    rules = {r["Name"]: r for r in props["Rules"]}
    for group in ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesAmazonIpReputationList"):
        statement = rules[group]["Statement"]["ManagedRuleGroupStatement"]
        assert (statement["VendorName"], statement["Name"]) == ("AWS", group)
    rate = rules["PortalPostsPerIp"]
    assert rate["Action"] == {"Block": {}}
    limit = rate["Statement"]["RateBasedStatement"]
    assert limit["AggregateKeyType"] == "IP" and limit["Limit"] <= 1000
    matches = {(m["ByteMatchStatement"]["PositionalConstraint"], m["ByteMatchStatement"]["SearchString"],
                next(iter(m["ByteMatchStatement"]["FieldToMatch"])))
               for m in limit["ScopeDownStatement"]["AndStatement"]["Statements"]}
    assert matches == {("EXACTLY", "post", "Method"), ("CONTAINS", "/portal/", "UriPath")}

    (association,) = resources(template, "AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [next(iter(resources(template,
                                                                                        "AWS::WAFv2::WebACL"))),
                                                                    "Arn"]}
    arn = association["Properties"]["ResourceArn"]["Fn::Sub"]
    assert arn[0].endswith("/stages/api") and arn[1] == {"Api": {"Ref": "RestAPI"}}
    assert association["DependsOn"] == ["RestAPIapiStage"]  # the stage SAM generates
    # Optional: -c waf=off.
    assert not resources(tuned_template, "AWS::WAFv2::WebACL")


def test_a_rotated_secret_reaches_the_functions_when_its_version_is_named(template, tuned_template):
    # CloudFormation resolves the reference only when the function changes: the version changes it.
    for tmpl, version in ((template, ""), (tuned_template, "0f1e2d3c-aaaa-bbbb-cccc-111122223333")):
        for name, function in functions(tmpl).items():
            reference = json.dumps(function["Properties"]["Environment"]["Variables"]["PORTICO_SECRET_KEY"])
            assert f":SecretString:::{version}}}}}" in reference, (name, reference)


# --- 4 and 5. each function: runtime, tracing, logs, timeout ---------------------------------------

def test_every_function_runs_python_3_13_traced_with_its_own_log_group(template):
    log_groups = [g["Properties"].get("LogGroupName") for g in resources(template, "AWS::Logs::LogGroup").values()]
    for name, function in functions(template).items():
        props = function["Properties"]
        assert props["Runtime"] == "python3.13", name
        assert props["Tracing"] == "Active", name  # invocations only: no Powertools Tracer (item 11)
        assert {"Fn::Sub": ["/aws/lambda/${Function}", {"Function": {"Ref": name}}]} in log_groups, name


def test_the_api_function_gives_up_before_api_gateway_does(template):
    assert functions(template)["APIHandler"]["Properties"]["Timeout"] < 29


def test_the_app_declares_no_tracer_and_the_runtime_is_python_3_13_everywhere():
    from chalicelib import observability

    assert not hasattr(observability, "tracer")
    import subprocess

    chosen = subprocess.run(["make", "-s", "-C", str(ROOT), "--eval=print-python: ; @echo $(PYTHON)",
                             "print-python"], capture_output=True, text=True, check=True).stdout.strip()
    version = subprocess.run([chosen, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True,
                             text=True, check=True).stdout.strip()
    assert version == "(3, 13)", f"make picks {chosen}, Python {version}"
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert 'requires-python = ">=3.13"' in (ROOT / "pyproject.toml").read_text()


# --- 6. canary releases ------------------------------------------------------------------------

def test_every_function_publishes_behind_live_and_the_api_shifts_traffic_watched_by_alarms(template,
                                                                                            tuned_template):
    for name, function in functions(template).items():
        assert function["Properties"]["AutoPublishAlias"] == "live", name
        assert function["Properties"]["AutoPublishAliasAllProperties"] is True, name
    preference = functions(template)["APIHandler"]["Properties"]["DeploymentPreference"]
    assert preference["Type"] == "Canary10Percent5Minutes"
    alarms = {a["Ref"] for a in preference["Alarms"]}
    metrics = {(template["Resources"][a]["Properties"]["Namespace"], template["Resources"][a]["Properties"]
                ["MetricName"]) for a in alarms}
    assert metrics == {("AWS/ApiGateway", "5XXError"), ("AWS/Lambda", "Errors")}
    assert functions(tuned_template)["APIHandler"]["Properties"]["DeploymentPreference"]["Type"] == (
        "Linear10PercentEvery1Minute")

    # API Gateway calls the alias (so CodeDeploy's weights apply), never the unqualified function.
    body = json.dumps(the_api(template)["Properties"]["DefinitionBody"])
    assert "APIHandler.Arn" not in body
    assert body.count('"LiveAlias": {"Ref": "APIHandler.Alias"}') == body.count("/invocations") > 0
    (permission,) = [p for p in resources(template, "AWS::Lambda::Permission").values()
                     if p["Properties"]["Principal"] == "apigateway.amazonaws.com"]
    assert permission["Properties"]["FunctionName"] == {"Ref": "APIHandler.Alias"}


def test_rollback_picks_the_newest_version_before_the_live_one():
    from infra.rollback import previous_version

    assert previous_version(["$LATEST", "1", "2", "10", "11"], "11") == "10"
    assert previous_version(["$LATEST", "1", "2", "3"], "3") == "2"
    assert previous_version(["$LATEST", "4"], "4") is None


def test_rollback_moves_the_alias_to_the_previous_version_with_no_canary_weights(monkeypatch):
    import io
    import zipfile

    import boto3
    from moto import mock_aws

    from infra.rollback import roll_back

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    def code(release: int) -> bytes:
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as files:
            files.writestr("app.py", f"def handler(event, context):\n    return {release}\n")
        return archive.getvalue()

    with mock_aws():
        role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        client = boto3.client("lambda", region_name="us-east-1")
        client.create_function(FunctionName="portico-prod-api", Runtime="python3.13", Role=role,
                               Handler="app.handler", Code={"ZipFile": code(0)})
        for release in range(1, 4):  # three deploys, each new code
            client.update_function_code(FunctionName="portico-prod-api", ZipFile=code(release))
            version = client.publish_version(FunctionName="portico-prod-api")["Version"]
        client.create_alias(FunctionName="portico-prod-api", Name="live", FunctionVersion=version)

        assert roll_back(client, "portico-prod-api") == ("3", "2")
        alias = client.get_alias(FunctionName="portico-prod-api", Name="live")
        assert alias["FunctionVersion"] == "2"
        assert not alias.get("RoutingConfig", {}).get("AdditionalVersionWeights")


# --- 7. stream and schedule failures --------------------------------------------------------------

def queue_of(value: dict[str, Any]) -> str:
    return value["Fn::GetAtt"][0]


def test_failed_stream_batches_and_schedules_land_in_queues_that_raise_alarms(template):
    queues = logical_of(template, "AWS::SQS::Queue")
    used: set[str] = set()
    stream_functions = []
    for name, function in functions(template).items():
        granted = json.dumps([s for s in role_statements(template, function["Properties"]["Role"])
                              if "sqs:SendMessage" in actions([s])])
        for stream in events(function, "DynamoDB"):
            stream_functions.append(name)
            destination = queue_of(stream["DestinationConfig"]["OnFailure"]["Destination"])
            assert destination in queues
            assert stream["BisectBatchOnFunctionError"] is True
            assert 0 <= stream["MaximumRetryAttempts"] <= 5  # not retried for the stream's 24 h
            assert f'"{destination}"' in granted, name
            used.add(destination)
        for schedule in events(function, "Schedule"):
            # EventBridge could not invoke it / the invocation failed after Lambda's retries.
            dead_letters = {queue_of(schedule["DeadLetterConfig"]["Arn"]),
                            queue_of(function["Properties"]["DeadLetterQueue"]["TargetArn"])}
            assert dead_letters <= queues
            assert all(f'"{q}"' in granted for q in dead_letters), name
            used |= dead_letters
    assert stream_functions and used == queues

    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    for name in stream_functions:
        assert any(a["MetricName"] == "IteratorAge" and a["Dimensions"] == [
            {"Name": "FunctionName", "Value": {"Ref": name}}] and a.get("AlarmActions") for a in alarms), name
    for queue in queues:
        assert any(a["MetricName"] == "ApproximateNumberOfMessagesVisible" and a["Dimensions"] == [
            {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}] and a["Threshold"] == 1
            and a.get("AlarmActions") for a in alarms), queue
    for queue in queues:
        assert template["Resources"][queue]["Properties"]["SqsManagedSseEnabled"] is True


# --- 8. backups ----------------------------------------------------------------------------------

def test_prod_tables_are_backed_up_daily_for_35_days_by_default(template, tuned_template):
    for tmpl, days in ((template, 35), (tuned_template, 7)):
        (plan,) = resources(tmpl, "AWS::Backup::BackupPlan").values()
        (rule,) = plan["Properties"]["BackupPlan"]["BackupPlanRule"]
        assert re.fullmatch(r"cron\(\d+ \d+ \* \* \? \*\)", rule["ScheduleExpression"])  # daily
        assert rule["Lifecycle"]["DeleteAfterDays"] == days
    (selection,) = resources(template, "AWS::Backup::BackupSelection").values()
    selected = json.dumps(selection["Properties"]["BackupSelection"]["Resources"])
    for table in resources(template, "AWS::DynamoDB::Table"):
        assert f'"{table}"' in selected, table
    (vault,) = resources(template, "AWS::Backup::BackupVault").values()
    assert vault["DeletionPolicy"] == "RetainExceptOnCreate"


# --- 9. agents' Cognito mail -----------------------------------------------------------------------

def test_agents_cognito_mail_goes_through_ses_from_the_stage_sender_once_it_is_verified(template, tuned_template):
    (pool,) = resources(template, "AWS::Cognito::UserPool").values()
    assert pool["Properties"].get("EmailConfiguration", {}).get("EmailSendingAccount", "COGNITO_DEFAULT") == (
        "COGNITO_DEFAULT")  # the sender is not verified yet on a first deploy
    (pool,) = resources(tuned_template, "AWS::Cognito::UserPool").values()
    email = pool["Properties"]["EmailConfiguration"]
    assert email["EmailSendingAccount"] == "DEVELOPER"
    assert "support@acme.test" in email["From"]
    assert "identity/support@acme.test" in json.dumps(email["SourceArn"])


# --- 10. grants nothing uses ------------------------------------------------------------------------

def test_no_role_holds_grants_nothing_uses_and_the_api_cannot_erase_the_portal_log(template):
    every = set()
    for function in functions(template).values():
        every |= actions(role_statements(template, function["Properties"]["Role"]))
    assert not {"ses:SendBulkTemplatedEmail", "cognito-idp:ListUsersInGroup"} & every

    (portal_log,) = [name for name, t in resources(template, "AWS::DynamoDB::Table").items()
                     if t["Properties"]["TableName"] == f"portico-{STAGE}-portal-log"]
    api_role = functions(template)["APIHandler"]["Properties"]["Role"]
    on_log = [s for s in role_statements(template, api_role) if f'"{portal_log}"' in json.dumps(s["Resource"])]
    assert on_log
    granted = actions(on_log)
    assert "dynamodb:PutItem" in granted
    assert not {"dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:UpdateItem"} & granted


# --- 1 (deploy.py). retained tables after `make destroy`, protection once the stack exists -------

@pytest.fixture
def deploy(monkeypatch):
    from infra import deploy

    calls: list[dict[str, str]] = []
    monkeypatch.setattr(deploy, "run_cdk", lambda command, context, extra: calls.append({"command": command,
                                                                                         **context}))
    monkeypatch.setattr(deploy, "sender_verified", lambda sender: False)
    monkeypatch.setattr(deploy, "leftover_tables", lambda stage: [])
    deploy.calls = calls
    return deploy


def test_a_first_deploy_starts_unprotected_and_its_second_pass_protects(deploy, monkeypatch):
    outputs = iter([{}, {"PortalUrl": "https://x/api/portal"}, {}])
    monkeypatch.setattr(deploy, "describe_stack", lambda stage: None)
    monkeypatch.setattr(deploy, "stack_outputs", lambda stage: next(outputs))
    assert deploy.main(["--stage", "prod", "--mail-sender", "s@acme.test", "--agents-email", "a@acme.test"]) == 0
    assert [c["deletionProtection"] for c in deploy.calls] == ["", "true"]
    assert all(c["agentMailFromSes"] == "" for c in deploy.calls)


def test_a_later_deploy_keeps_protection_and_mails_agents_through_a_verified_sender(deploy, monkeypatch):
    monkeypatch.setattr(deploy, "describe_stack", lambda stage: {"StackStatus": "UPDATE_COMPLETE"})
    monkeypatch.setattr(deploy, "stack_outputs", lambda stage: {"PortalUrl": "https://x/api/portal"})
    monkeypatch.setattr(deploy, "sender_verified", lambda sender: True)
    assert deploy.main(["--stage", "prod", "--mail-sender", "s@acme.test", "--agents-email", "a@acme.test"]) == 0
    (call,) = deploy.calls
    assert (call["deletionProtection"], call["agentMailFromSes"]) == ("true", "true")


def test_deploy_stops_with_the_exact_cleanup_when_retained_tables_outlived_the_stack(monkeypatch, capsys):
    import boto3
    from moto import mock_aws

    from infra import deploy

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(deploy, "run_cdk", lambda *args: pytest.fail("must not deploy"))
    with mock_aws():
        boto3.client("dynamodb").create_table(
            TableName="portico-prod-tickets", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
        answer = deploy.main(["--stage", "prod", "--mail-sender", "s@acme.test", "--agents-email", "a@acme.test"])
    assert answer == 2
    error = capsys.readouterr().err
    assert "aws dynamodb update-table --table-name portico-prod-tickets --no-deletion-protection-enabled" in error
    assert "aws dynamodb delete-table --table-name portico-prod-tickets" in error
    assert "create-backup --table-name portico-prod-tickets" in error
    assert "portico-prod-users" not in error
