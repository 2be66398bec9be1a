"""Canary releases (the CDK mode): every function publishes a version on each deploy behind
a `live` alias, which its triggers invoke; the API function's alias moves to the new version
through CodeDeploy (SAM's DeploymentPreference), a share of the traffic first, and moves back
by itself when one of the given alarms fires. `make rollback` (infra/rollback.py) points the
aliases at the previous version by hand."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_cloudwatch as cloudwatch
from chalice.cdk import Chalice

ALIAS = "live"
API_FUNCTION = "APIHandler"


def publish_behind_alias(chalice: Chalice, sam: dict[str, Any], functions: list[str]) -> None:
    """Each function gets the alias (SAM wires schedules and streams to it); API Gateway calls
    the API function's alias: its integration URI and its invoke permission name the alias."""
    for name in functions:
        function = chalice.get_resource(name)
        function.add_property_override("AutoPublishAlias", ALIAS)
        # A new version for any change (environment too), not only new code.
        function.add_property_override("AutoPublishAliasAllProperties", True)
    if "RestAPI" not in sam["Resources"]:
        return
    body = _to_alias(sam["Resources"]["RestAPI"]["Properties"]["DefinitionBody"])
    chalice.get_resource("RestAPI").add_property_override("DefinitionBody", body)
    permission = f"{API_FUNCTION}InvokePermission"
    if permission in sam["Resources"]:
        chalice.get_resource(permission).add_property_override("FunctionName", {"Ref": f"{API_FUNCTION}.Alias"})


def _to_alias(value: Any) -> Any:
    """`{"Fn::Sub": "...${APIHandler.Arn}..."}` (an integration URI) naming the alias instead,
    as `Ref APIHandler.Alias` (SAM resolves it; cfn-lint knows that form)."""
    if isinstance(value, list):
        return [_to_alias(v) for v in value]
    if not isinstance(value, dict):
        return value
    text = value.get("Fn::Sub")
    if len(value) == 1 and isinstance(text, str) and f"${{{API_FUNCTION}.Arn}}" in text:
        return {"Fn::Sub": [text.replace(f"${{{API_FUNCTION}.Arn}}", "${LiveAlias}"),
                            {"LiveAlias": {"Ref": f"{API_FUNCTION}.Alias"}}]}
    return {k: _to_alias(v) for k, v in value.items()}


def shift_traffic(chalice: Chalice, preference: str, alarms: list[cloudwatch.Alarm]) -> None:
    """The API function's traffic moves per `preference` (e.g. Canary10Percent5Minutes) and
    rolls back when any alarm fires during the shift."""
    chalice.get_resource(API_FUNCTION).add_property_override("DeploymentPreference", {
        "Type": preference, "Alarms": [alarm.alarm_name for alarm in alarms]})
