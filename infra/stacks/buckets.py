"""A private S3 bucket: nobody reaches it but through the stack's own grants and policies."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_s3 as s3
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct


def private_bucket(scope: Construct, construct_id: str, *, no_access_logs_reason: str, **settings: Any) -> s3.Bucket:
    """S3-managed encryption, public access blocked, ACLs off (the bucket owns every object),
    TLS only; `settings` adds the rest (versioning, lifecycle, removal policy, CORS).
    `no_access_logs_reason`: the cdk-nag note on why it keeps no server access logs."""
    bucket = s3.Bucket(
        scope, construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforce_ssl=True,
        **settings,
    )
    NagSuppressions.add_resource_suppressions(bucket, [NagPackSuppression(
        id="AwsSolutions-S1", reason=no_access_logs_reason)], apply_to_children=True)
    return bucket
