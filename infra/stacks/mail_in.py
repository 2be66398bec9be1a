"""Email in (product.md §8): SES receiving for the stage's inbound domain.

A receipt rule set with one rule: mail to the inbound domain (reply addresses) and to the
support address is scanned (spam and virus verdicts), stored whole in the inbound bucket under
`inbound/` (S3 action), and SES notifies the `portico-<stage>-mail-in` topic, which app.py's
`handle_inbound_mail` subscribes to (by name, like the feedback topic). Chalice's S3 event
handler is not used: `chalice package`, which the Chalice construct runs, cannot package it.

SES allows one ACTIVE receipt rule set per account and region, and CloudFormation cannot make
one active: ops activate it once (docs/operations.md, "Receive mail"), after publishing the MX
record `<inbound domain> MX 10 inbound-smtp.<region>.amazonaws.com`. Without an inbound domain
(context `inboundDomain`) the bucket and topic exist (the handler subscribes to the topic) but
no rule set does.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import Annotations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.buckets import private_bucket
from stacks.object_grants import grant_prefix

INBOUND_PREFIX = "inbound/"
KEEP_DAYS = 30  # the handler reads a message once, within seconds; kept a while to investigate


class MailIn(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, inbound_domain: str | None,
                 support_address: str | None) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.topic_name = f"portico-{stage}-mail-in"
        self.rule_set_name = f"portico-{stage}-inbound"
        self.rule_name = "store-and-notify"
        self.bucket = private_bucket(
            self, "Bucket",
            no_access_logs_reason="Only SES writes here and only the mail-in handler reads, each message once; every "
                                  "outcome is logged by the handler. Server access logs would need a second bucket "
                                  "per stage.",
            lifecycle_rules=[s3.LifecycleRule(id="inbound-mail", expiration=cdk.Duration.days(KEEP_DAYS))],
            # Raw mail is transient (what matters became notes and tickets): not kept with the stack.
            removal_policy=cdk.RemovalPolicy.DESTROY,
            auto_delete_objects=False,
        )
        rule_arn = stack.format_arn(service="ses", resource="receipt-rule-set",
                                    resource_name=f"{self.rule_set_name}:receipt-rule/{self.rule_name}",
                                    arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME)
        self.bucket.add_to_resource_policy(iam.PolicyStatement(
            actions=["s3:PutObject"], principals=[iam.ServicePrincipal("ses.amazonaws.com")],
            resources=[self.bucket.arn_for_objects(f"{INBOUND_PREFIX}*")],
            conditions={"StringEquals": {"AWS:SourceAccount": stack.account}, "ArnLike": {"AWS:SourceArn": rule_arn}},
        ))
        self.topic = sns.Topic(self, "Topic", topic_name=self.topic_name, enforce_ssl=True)
        self.topic.add_to_resource_policy(iam.PolicyStatement(
            actions=["sns:Publish"], principals=[iam.ServicePrincipal("ses.amazonaws.com")],
            resources=[self.topic.topic_arn],
            conditions={"StringEquals": {"AWS:SourceAccount": stack.account}},
        ))
        self.rule_set = None
        if not inbound_domain:
            Annotations.of(self).add_warning_v2(
                "portico:inbound-domain", "No inboundDomain: no SES receipt rule; replies to ticket mail go nowhere "
                "until the stack is deployed with -c inboundDomain=<domain> (docs/operations.md, \"Receive mail\")")
        else:
            recipients = [inbound_domain]
            if support_address and not support_address.lower().endswith("@" + inbound_domain.lower()):
                recipients.append(support_address)
            self.rule_set = ses.CfnReceiptRuleSet(self, "RuleSet", rule_set_name=self.rule_set_name)
            rule = ses.CfnReceiptRule(
                self, "Rule", rule_set_name=self.rule_set_name,
                rule=ses.CfnReceiptRule.RuleProperty(
                    name=self.rule_name, enabled=True, scan_enabled=True, tls_policy="Optional",
                    recipients=recipients,
                    actions=[ses.CfnReceiptRule.ActionProperty(s3_action=ses.CfnReceiptRule.S3ActionProperty(
                        bucket_name=self.bucket.bucket_name, object_key_prefix=INBOUND_PREFIX,
                        topic_arn=self.topic.topic_arn))]),
            )
            rule.add_dependency(self.rule_set)
            rule.node.add_dependency(self.bucket.policy)  # SES checks it may write when the rule is made
            cdk.CfnOutput(stack, "InboundRuleSetName", value=self.rule_set_name,
                          description="Activate once: aws ses set-active-receipt-rule-set --rule-set-name <this>")
            cdk.CfnOutput(stack, "InboundMxRecord", value=f"{inbound_domain} MX 10 inbound-smtp.{stack.region}."
                          f"{stack.url_suffix}", description="The MX record bringing the inbound domain's mail to SES")
        cdk.CfnOutput(stack, "InboundBucketName", value=self.bucket.bucket_name, description="PORTICO_INBOUND_BUCKET")

    def grant_handler(self, role: iam.Role) -> None:
        """The mail-in handler reads messages (never writes or deletes them)."""
        grant_prefix(role, self.bucket, action="s3:GetObject", prefix=INBOUND_PREFIX, bucket_id="MailInBucket",
                     reason="SES names each object after its message: the handler may read any object under "
                            "inbound/ of its own bucket, and nothing else.")
