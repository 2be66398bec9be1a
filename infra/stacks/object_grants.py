"""One S3 action on one key prefix of one bucket, for one function's role: the grant and the
cdk-nag note that explains its wildcard (keys are made per object under the prefix)."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo


def grant_prefix(role: iam.Role, bucket: s3.IBucket, *, action: str, prefix: str, bucket_id: str,
                 reason: str) -> None:
    """`bucket_id`: the bucket's logical id stem as the template names it (e.g. FilesBucket),
    so the nag note applies to this grant's resource only."""
    role.add_to_principal_policy(iam.PolicyStatement(actions=[action],
                                                     resources=[bucket.arn_for_objects(f"{prefix}*")]))
    escaped = prefix.rstrip("/").replace("/", r"\/")
    NagSuppressions.add_resource_suppressions(role, [NagPackSuppression(
        id="AwsSolutions-IAM5", reason=reason,
        applies_to=[RegexAppliesTo(regex=rf"/^Resource::<{bucket_id}\w+\.Arn>\/{escaped}\/\*$/g")],
    )], apply_to_children=True)
