"""Where failed asynchronous work goes: the outbox stream's batches that exhausted their
retries, and scheduled invocations that failed (Lambda's own retries spent) or could not be
delivered by EventBridge. Each queue has an alarm (stacks/alarms.py); the outbox sweeper
still sends what the stream gave up on, so the stream's queue is for diagnosis."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

STREAM_RETRY_ATTEMPTS = 3  # then bisected batches go to the on-failure queue, not retried for a day
STREAM_MAX_RECORD_AGE = 3600  # seconds; older records are the sweeper's


class FailureQueues(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.stream = self._queue("StreamFailures")
        self.schedules = self._queue("ScheduleFailures")
        stack = cdk.Stack.of(self)
        # EventBridge puts events it could not deliver to a schedule's function here.
        self.schedules.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("events.amazonaws.com")], actions=["sqs:SendMessage"],
            resources=[self.schedules.queue_arn],
            conditions={"ArnLike": {"aws:SourceArn": stack.format_arn(
                service="events", resource="rule", resource_name=f"{stack.stack_name}-*")}}))

    def _queue(self, construct_id: str) -> sqs.Queue:
        queue = sqs.Queue(self, construct_id, encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
                          retention_period=cdk.Duration.days(14))
        NagSuppressions.add_resource_suppressions(queue, [NagPackSuppression(
            id="AwsSolutions-SQS3", reason="This queue is itself a dead-letter queue (of a stream event source "
            "or a schedule, set on the SAM function, which cdk-nag cannot see); an alarm watches its depth.")])
        return queue

    def wire(self, function: cdk.CfnResource, sam_function: dict[str, Any], role: iam.Role) -> None:
        """The function's triggers get their failure handling; its role may write to the queue."""
        events = sam_function.get("Properties", {}).get("Events", {}) or {}
        used: list[sqs.Queue] = []
        for event_name, event in events.items():
            path = f"Events.{event_name}.Properties"
            if event["Type"] == "DynamoDB":
                function.add_property_override(f"{path}.DestinationConfig",
                                               {"OnFailure": {"Destination": self.stream.queue_arn}})
                function.add_property_override(f"{path}.BisectBatchOnFunctionError", True)
                function.add_property_override(f"{path}.MaximumRetryAttempts", STREAM_RETRY_ATTEMPTS)
                function.add_property_override(f"{path}.MaximumRecordAgeInSeconds", STREAM_MAX_RECORD_AGE)
                used.append(self.stream)
            elif event["Type"] == "Schedule":
                function.add_property_override(f"{path}.DeadLetterConfig", {"Arn": self.schedules.queue_arn})
                # (CDK's own SAM check then warns the event lacks its Schedule: it reads the event
                # without this override. The template has it; cfn-lint and tests/infra check it.)
                function.add_property_override("DeadLetterQueue", {"Type": "SQS",
                                                                   "TargetArn": self.schedules.queue_arn})
                used.append(self.schedules)
        for queue in dict.fromkeys(used):
            role.add_to_principal_policy(iam.PolicyStatement(actions=["sqs:SendMessage"],
                                                             resources=[queue.queue_arn]))
