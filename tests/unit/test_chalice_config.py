"""devtools/chalice_config.py: a resources-only stack's outputs become a `chalice deploy` stage."""

from __future__ import annotations

from devtools.chalice_config import stage_config

OUTPUTS = [
    {"OutputKey": "UsersTableName", "OutputValue": "portico-prod-users", "Description": "PORTICO_USERS_TABLE"},
    {"OutputKey": "UserPoolId", "OutputValue": "us-east-1_abc", "Description": "PORTICO_USER_POOL_ID"},
    {"OutputKey": "SecretKeyArn", "OutputValue": "arn:secret", "Description": "PORTICO_SECRET_KEY_ARN"},
    {"OutputKey": "AlarmTopicArn", "OutputValue": "arn:topic", "Description": "SNS topic the alarms notify"},
    {"OutputKey": "APIHandlerRoleArn", "OutputValue": "arn:role/api",
     "Description": "chalice: lambda_functions.api_handler.iam_role_arn"},
    {"OutputKey": "ResendInvitationsRoleArn", "OutputValue": "arn:role/resend",
     "Description": "chalice: lambda_functions.resend_invitations.iam_role_arn"},
]


def test_outputs_become_environment_variables_and_per_function_roles():
    current = {"api_gateway_stage": "api",
               "environment_variables": {"PORTICO_SECRET_KEY": "set-from-stack-outputs", "PORTICO_MAIL_SENDER": "a@b"}}
    deployed = {"resources": [{"resource_type": "rest_api", "rest_api_url": "https://x.execute-api/api/"}]}

    config = stage_config(current, OUTPUTS, "prod", deployed)

    env = config["environment_variables"]
    assert env["PORTICO_USERS_TABLE"] == "portico-prod-users"
    assert env["PORTICO_USER_POOL_ID"] == "us-east-1_abc"
    assert env["PORTICO_SECRET_KEY_ARN"] == "arn:secret"
    assert "PORTICO_SECRET_KEY" not in env, "never a literal key in the committed config"
    assert env["PORTICO_MAIL_SENDER"] == "a@b"
    assert env["PORTICO_PORTAL_URL"] == "https://x.execute-api/api/portal"
    assert "SNS topic the alarms notify" not in env
    assert config["manage_iam_role"] is False
    assert config["iam_role_arn"] == "arn:role/api"
    assert config["lambda_functions"] == {"resend_invitations": {"iam_role_arn": "arn:role/resend"}}
    assert config["api_gateway_stage"] == "api"
