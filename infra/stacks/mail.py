"""SES v1 templates from the files in chalicelib/mail/templates (the same ones the local
stack loads), named for the stage (portico-<stage>-<name>: stages can share an account and
region), and optionally the sender's identity."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_ses as ses
from constructs import Construct

from chalicelib.mail.templates import load_template, template_names


class MailTemplates(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, sender: str, sender_identity: str) -> None:
        super().__init__(scope, construct_id)
        self.templates: list[ses.CfnTemplate] = []
        for name in template_names():
            template = load_template(name, stage)
            self.templates.append(ses.CfnTemplate(
                self, "Template" + "".join(part.capitalize() for part in name.replace("_", "-").split("-")),
                template=ses.CfnTemplate.TemplateProperty(
                    template_name=template["TemplateName"],
                    subject_part=template["SubjectPart"],
                    text_part=template["TextPart"],
                    html_part=template["HtmlPart"],
                ),
            ))
        # "email": SES mails a verification link to the sender address on creation.
        # "domain": DKIM records to publish (see the console). "existing": already verified.
        self.identity = None
        if sender_identity == "email":
            self.identity = ses.EmailIdentity(self, "Sender", identity=ses.Identity.email(sender))
        elif sender_identity == "domain":
            self.identity = ses.EmailIdentity(self, "Sender", identity=ses.Identity.domain(sender.split("@")[-1]))


# --- Mail reliability (issue 16): sending events, feedback topic, mail alarms ---------------
# Metrics the app publishes (namespace Portico, dimension service=portico) and SES's own
# reputation metrics (SES reviews an account at 5 % bounces or 0.1 % complaints).
OLDEST_UNDELIVERED_ALARM_SECONDS = 15 * 60
BOUNCE_RATE_ALARM = 0.05
COMPLAINT_RATE_ALARM = 0.001
FEEDBACK_EVENTS = ["bounce", "complaint", "reject", "delivery"]


class MailFeedback(Construct):
    """The SES configuration set every send names (PORTICO_MAIL_CONFIGURATION_SET), its
    bounce, complaint, reject and delivery events to an SNS topic that app.py's
    `handle_mail_feedback` subscribes to (by name: `portico-<stage>-mail-feedback`, see
    chalicelib/config.mail_feedback_topic), and `watch()` adds the mail alarms."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: str) -> None:
        import aws_cdk as cdk
        from aws_cdk import aws_iam as iam
        from aws_cdk import aws_sns as sns

        super().__init__(scope, construct_id)
        self.configuration_set_name = f"portico-{stage}-events"
        self.topic_name = f"portico-{stage}-mail-feedback"
        self.configuration_set = ses.CfnConfigurationSet(self, "ConfigurationSet", name=self.configuration_set_name)
        self.topic = sns.Topic(self, "Topic", topic_name=self.topic_name, enforce_ssl=True)
        self.topic.add_to_resource_policy(iam.PolicyStatement(
            actions=["sns:Publish"], principals=[iam.ServicePrincipal("ses.amazonaws.com")],
            resources=[self.topic.topic_arn],
            conditions={"StringEquals": {"AWS:SourceAccount": cdk.Stack.of(self).account}},
        ))
        destination = ses.CfnConfigurationSetEventDestination(
            self, "Events", configuration_set_name=self.configuration_set_name,
            event_destination=ses.CfnConfigurationSetEventDestination.EventDestinationProperty(
                name="feedback", enabled=True, matching_event_types=FEEDBACK_EVENTS,
                sns_destination=ses.CfnConfigurationSetEventDestination.SnsDestinationProperty(
                    topic_arn=self.topic.topic_arn)),
        )
        destination.add_dependency(self.configuration_set)
        # `chalice deploy` stages take PORTICO_* outputs into .chalice/config.json (devtools/chalice_config.py).
        cdk.CfnOutput(self, "ConfigurationSetName", value=self.configuration_set_name,
                      description="PORTICO_MAIL_CONFIGURATION_SET")
        cdk.CfnOutput(self, "FeedbackTopicArn", value=self.topic.topic_arn,
                      description="SNS topic of SES bounce, complaint, reject and delivery events")

    def watch(self, alarms: Any) -> None:
        """Mail alarms on the stage's alarm topic (stacks/alarms.py keeps MailFailed)."""
        import aws_cdk as cdk
        from aws_cdk import aws_cloudwatch as cloudwatch
        from aws_cdk import aws_cloudwatch_actions as actions

        period = cdk.Duration.minutes(5)
        watched = [
            ("OldestUndeliveredMail", "An email has waited more than 15 minutes in the outbox "
             "(`make mail-ops ARGS='list --status stuck'`; see last_error)",
             cloudwatch.Metric(namespace="Portico", metric_name="OldestUndeliveredAgeSeconds",
                               dimensions_map={"service": "portico"}, statistic="Maximum", period=period),
             OLDEST_UNDELIVERED_ALARM_SECONDS),
            ("MailBounceRate", "SES bounce rate at 5 % or more: SES reviews the account at 5 %",
             cloudwatch.Metric(namespace="AWS/SES", metric_name="Reputation.BounceRate",
                               statistic="Maximum", period=period), BOUNCE_RATE_ALARM),
            ("MailComplaintRate", "SES complaint rate at 0.1 % or more: SES reviews the account at 0.1 %",
             cloudwatch.Metric(namespace="AWS/SES", metric_name="Reputation.ComplaintRate",
                               statistic="Maximum", period=period), COMPLAINT_RATE_ALARM),
        ]
        for construct_id, description, metric, threshold in watched:
            alarm = metric.create_alarm(
                self, construct_id, alarm_description=description, threshold=threshold, evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(actions.SnsAction(alarms.topic))
            alarms.alarms[construct_id] = alarm
