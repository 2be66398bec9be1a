"""CloudWatch alarms for one stage, all notifying one SNS topic (subscribe an address with
`-c alarmEmail=...` or in the console): API 5xx rate, each function's errors and
throttles, DynamoDB throttling, mail that could not be delivered, the outbox stream falling
behind and failed asynchronous work (stacks/failures.py)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

# Emitted by the mail delivery through Powertools Metrics (namespace "Portico", default
# dimension service=portico) when an email is given up on.
MAIL_NAMESPACE = "Portico"
MAIL_FAILED_METRIC = "MailFailed"
SERVICE = "portico"
PERIOD = cdk.Duration.minutes(5)


class Alarms(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, api_name: str, api_stage: str,
                 functions: dict[str, str], tables: dict[str, dynamodb.Table], alarm_email: str | None) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Topic", topic_name=f"portico-{stage}-alarms", enforce_ssl=True)
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self._action = actions.SnsAction(self.topic)
        self.alarms: dict[str, cloudwatch.Alarm] = {}

        self.add(
            "Api5xxRate",
            "More than 5% of API requests failed with a 5xx over 5 minutes",
            cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name="5XXError",
                              dimensions_map={"ApiName": api_name, "Stage": api_stage},
                              statistic="Average", period=PERIOD),
            threshold=0.05,
        )
        for name, function_name in functions.items():
            for metric_name, what in (("Errors", "failed"), ("Throttles", "was throttled")):
                self.add(
                    f"{name}{metric_name}",
                    f"Lambda function {name} {what} in the last 5 minutes",
                    cloudwatch.Metric(namespace="AWS/Lambda", metric_name=metric_name,
                                      dimensions_map={"FunctionName": function_name}, statistic="Sum", period=PERIOD),
                    threshold=1,
                )
        for logical, table in tables.items():
            throttled = cloudwatch.MathExpression(
                expression="read + write",
                using_metrics={
                    "read": table.metric("ReadThrottleEvents", statistic="Sum", period=PERIOD),
                    "write": table.metric("WriteThrottleEvents", statistic="Sum", period=PERIOD),
                },
                period=PERIOD,
                label=f"{logical} throttle events",
            )
            self.add(f"Table{table.node.id}Throttles", f"DynamoDB table {logical} throttled requests",
                        throttled, threshold=1)
        self.add(
            "MailFailed",
            "Email could not be delivered (outbox message given up on); see the outbox's last_error",
            cloudwatch.Metric(namespace=MAIL_NAMESPACE, metric_name=MAIL_FAILED_METRIC,
                              dimensions_map={"service": SERVICE}, statistic="Sum", period=PERIOD),
            threshold=1,
        )

    def stream_lag(self, function_name: str, name: str, minutes: int = 5) -> None:
        """The stream handler falls behind (or is stuck on a batch): its oldest record's age."""
        self.add(f"{name}IteratorAge", f"Lambda function {name} is more than {minutes} minutes behind its stream",
                 cloudwatch.Metric(namespace="AWS/Lambda", metric_name="IteratorAge",
                                   dimensions_map={"FunctionName": function_name}, statistic="Maximum",
                                   period=PERIOD),
                 threshold=minutes * 60_000)

    def queue_not_empty(self, construct_id: str, queue: sqs.IQueue, what: str) -> None:
        self.add(construct_id, f"{what} (see docs/operations.md)",
                 queue.metric_approximate_number_of_messages_visible(statistic="Maximum", period=PERIOD),
                 threshold=1)

    def add(self, construct_id: str, description: str, metric: cloudwatch.IMetric, *, threshold: float) -> None:
        alarm = metric.create_alarm(
            self, construct_id,
            alarm_description=description,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        self.alarms[construct_id] = alarm
