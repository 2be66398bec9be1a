"""Edge protection of the API stage: throttling, JSON access logs, execution metrics and
tracing on the SAM API (cdk-nag sees no `CfnStage`, so tests/infra checks these), and an
optional AWS WAF web ACL in front of it.

A flood of log-in or sign-up POSTs costs an Argon2 hash (64 MiB) each: the stage's throttle
caps the whole API, the WAF's rate-based rule caps each client IP on the portal's POSTs."""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

# One JSON object per request ($context variables of API Gateway's access logs).
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "time": "$context.requestTime",
    "method": "$context.httpMethod", "path": "$context.path", "resourcePath": "$context.resourcePath",
    "status": "$context.status", "length": "$context.responseLength", "latencyMs": "$context.responseLatency",
    "integrationLatencyMs": "$context.integration.latency", "error": "$context.error.message",
    "userAgent": "$context.identity.userAgent", "xrayTraceId": "$context.xrayTraceId",
}
# The common rule set blocks bodies over 8 KB; the app takes up to 256 KB and checks sizes itself.
COMMON_RULES_COUNTED = ("SizeRestrictions_BODY",)


class ApiEdge(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, api: cdk.CfnResource, api_stage: str,
                 throttle_rate: float, throttle_burst: int, logs_role: bool, production: bool) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = logs.LogGroup(
            self, "AccessLogs",
            retention=logs.RetentionDays.ONE_YEAR if production else logs.RetentionDays.ONE_MONTH,
            removal_policy=cdk.RemovalPolicy.RETAIN if production else cdk.RemovalPolicy.DESTROY)
        api.add_property_override("AccessLogSetting", {
            "DestinationArn": self.access_logs.log_group_arn, "Format": json.dumps(ACCESS_LOG_FORMAT)})
        api.add_property_override("MethodSettings", [{
            "ResourcePath": "/*", "HttpMethod": "*",
            "ThrottlingRateLimit": throttle_rate, "ThrottlingBurstLimit": throttle_burst,
            "MetricsEnabled": True,
            # Execution logs of errors only: request and response bodies never reach the logs.
            "LoggingLevel": "ERROR", "DataTraceEnabled": False,
        }])
        api.add_property_override("TracingEnabled", True)
        self.account = None
        if logs_role:
            # API Gateway writes to CloudWatch Logs through one role per account and region
            # (its "account settings"); without it the stage's logging cannot be turned on.
            # Retained: other stacks of the account may rely on it.
            role = iam.Role(self, "CloudWatchRole", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
                            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                                "service-role/AmazonAPIGatewayPushToCloudWatchLogs")])
            role.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
            NagSuppressions.add_resource_suppressions(role, [NagPackSuppression(
                id="AwsSolutions-IAM4", reason="API Gateway's account-wide logging role: AWS's policy for exactly "
                "this purpose (create and write its log groups, which it names per API and stage).",
                applies_to=["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                            "AmazonAPIGatewayPushToCloudWatchLogs"])])
            self.account = apigateway.CfnAccount(self, "Account", cloud_watch_role_arn=role.role_arn)
            self.account.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
            api.node.add_dependency(self.account)
        self.api_stage = api_stage


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True)


def _managed(name: str, priority: int, counted: tuple[str, ...] = ()) -> wafv2.CfnWebACL.RuleProperty:
    overrides = [wafv2.CfnWebACL.RuleActionOverrideProperty(
        name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})) for rule in counted]
    return wafv2.CfnWebACL.RuleProperty(
        name=name, priority=priority, override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(managed_rule_group_statement=(
            wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS", name=name, rule_action_overrides=overrides or None))),
        visibility_config=_visibility(name))


def _matches(field: wafv2.CfnWebACL.FieldToMatchProperty, text: str,
             constraint: str) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
        field_to_match=field, positional_constraint=constraint, search_string=text,
        text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="LOWERCASE")]))


class WebAcl(Construct):
    """AWS managed common and IP-reputation rule groups, and a per-IP rate limit on the
    portal's POSTs (log-in, sign-up, activation, password reset: the public, costly ones)."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: str, api_id: str, api_stage: str,
                 stage_resource: str, portal_post_limit: int) -> None:
        super().__init__(scope, construct_id)
        portal_posts = wafv2.CfnWebACL.StatementProperty(and_statement=wafv2.CfnWebACL.AndStatementProperty(
            statements=[
                _matches(wafv2.CfnWebACL.FieldToMatchProperty(method={}), "post", "EXACTLY"),
                # "/<stage>/portal/..." on the execute-api URL, "/portal/..." behind a custom domain.
                _matches(wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}), "/portal/", "CONTAINS"),
            ]))
        rate_rule = wafv2.CfnWebACL.RuleProperty(
            name="PortalPostsPerIp", priority=2,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(rate_based_statement=(
                wafv2.CfnWebACL.RateBasedStatementProperty(
                    limit=portal_post_limit, aggregate_key_type="IP", evaluation_window_sec=300,
                    scope_down_statement=portal_posts))),
            visibility_config=_visibility("PortalPostsPerIp"))
        self.acl = wafv2.CfnWebACL(
            self, "Acl", name=f"portico-{stage}-api", scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(f"portico-{stage}-api"),
            rules=[_managed("AWSManagedRulesCommonRuleSet", 0, COMMON_RULES_COUNTED),
                   _managed("AWSManagedRulesAmazonIpReputationList", 1), rate_rule])
        association = wafv2.CfnWebACLAssociation(
            self, "Association", web_acl_arn=self.acl.attr_arn,
            resource_arn=cdk.Fn.sub("arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${Api}/stages/"
                                    + api_stage, {"Api": api_id}))
        # The stage is a resource SAM generates from the API (<Api><stage>Stage).
        association.add_override("DependsOn", [stage_resource])
