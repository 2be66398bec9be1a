"""AWS Backup for a production stage's tables: a daily backup kept `retention_days` (35 by
default), on top of each table's point-in-time recovery (the last 35 days, to the second).
docs/operations.md says how to restore either."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_backup as backup
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct


class TableBackups(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, tables: list[dynamodb.Table],
                 retention_days: int) -> None:
        super().__init__(scope, construct_id)
        # Kept when the stack goes (recovery points outlive it), removed by a failed first
        # deploy. Named after the stack's id, so a stack deployed again after `make destroy`
        # never collides with the old, retained vault.
        stack_uuid = cdk.Fn.select(2, cdk.Fn.split("/", cdk.Aws.STACK_ID))
        self.vault = backup.BackupVault(
            self, "Vault",
            backup_vault_name=cdk.Fn.join("-", [f"portico-{stage}-tables", cdk.Fn.select(0, cdk.Fn.split(
                "-", stack_uuid))]),
            removal_policy=cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE)
        self.plan = backup.BackupPlan(self, "Plan", backup_plan_name=f"portico-{stage}-tables",
                                      backup_vault=self.vault)
        self.plan.add_rule(backup.BackupPlanRule(
            rule_name="Daily", schedule_expression=events.Schedule.cron(hour="3", minute="0"),
            start_window=cdk.Duration.hours(1), completion_window=cdk.Duration.hours(8),
            delete_after=cdk.Duration.days(retention_days)))
        self.plan.add_selection("Tables", backup_selection_name=f"portico-{stage}-tables",
                                resources=[backup.BackupResource.from_dynamo_db_table(t) for t in tables],
                                allow_restores=True)
        NagSuppressions.add_resource_suppressions(self.plan, [NagPackSuppression(
            id="AwsSolutions-IAM4", reason="AWS Backup's own service-role policies for backing up and restoring "
            "the selected tables; the selection limits which resources the plan touches.",
            applies_to=[f"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/{name}" for name in (
                "AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores")])],
            apply_to_children=True)
