"""The attachments bucket (product.md §7, services/attachments.py): private, encrypted,
TLS only, versioned; the portal's origin may only POST to it (presigned uploads, CORS);
uploads never attached expire after a day, overwritten versions after a few days. Files
bound to tickets live under `tickets/`, which no rule expires: nothing deletes a bound file."""

from __future__ import annotations

from urllib.parse import urlsplit

import aws_cdk as cdk
from aws_cdk import Annotations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import Construct

from stacks.buckets import private_bucket
from stacks.object_grants import grant_prefix
from stacks.tables import kept_data_policy

UPLOADS_PREFIX = "uploads/"
TICKETS_PREFIX = "tickets/"
# What the API does with the bucket: sign presigned POSTs for uploads/ (s3:PutObject), HEAD
# uploads and copy them to tickets/ (GetObject on uploads/, PutObject on tickets/), sign
# presigned GETs of tickets/ (GetObject). Never a delete.
API_ACTIONS = ["s3:PutObject", "s3:GetObject"]


class FilesBucket(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, production: bool, portal_url: str) -> None:
        super().__init__(scope, construct_id)
        origin = _origin(portal_url)
        if not origin:
            Annotations.of(self).add_warning_v2(
                "portico:files-cors", "No portalUrl: the portal page cannot upload files until the stack is deployed "
                "again with -c portalUrl=<the PortalUrl output> (make deploy does this second pass itself)")
        self.bucket = private_bucket(
            self, "Bucket",
            no_access_logs_reason="Every file is reached through the API, which authorizes and logs each upload and "
                                  "download request; S3 server access logs would need a second bucket per stage and "
                                  "add nothing the API log does not record (CloudTrail data events can be turned on "
                                  "per account).",
            versioned=True,
            cors=[s3.CorsRule(allowed_methods=[s3.HttpMethods.POST], allowed_origins=[origin],
                              allowed_headers=["*"], max_age=3600)] if origin else None,
            lifecycle_rules=[
                s3.LifecycleRule(id="uploads-never-attached", prefix=UPLOADS_PREFIX,
                                 expiration=cdk.Duration.days(1),
                                 noncurrent_version_expiration=cdk.Duration.days(1)),
                s3.LifecycleRule(id="noncurrent-versions", noncurrent_version_expiration=cdk.Duration.days(7),
                                 abort_incomplete_multipart_upload_after=cdk.Duration.days(1)),
            ],
            # Files are the tickets' data: kept like the tables (a failed first creation still rolls back).
            removal_policy=kept_data_policy(production),
        )
        cdk.CfnOutput(cdk.Stack.of(self), "AttachmentsBucketName", value=self.bucket.bucket_name,
                      description="PORTICO_ATTACHMENTS_BUCKET")

    def grant_api(self, role: iam.Role) -> None:
        role.add_to_principal_policy(iam.PolicyStatement(
            actions=API_ACTIONS,
            resources=[self.bucket.arn_for_objects(f"{UPLOADS_PREFIX}*"),
                       self.bucket.arn_for_objects(f"{TICKETS_PREFIX}*")]))
        NagSuppressions.add_resource_suppressions(role, [NagPackSuppression(
            id="AwsSolutions-IAM5",
            reason="Object keys are made per upload and per file (uploads/<caller>/<upload id>, "
                   "tickets/<number>/<file id>): the API may read and write objects under those two prefixes of "
                   "its own bucket, and nothing else in S3.",
            applies_to=[RegexAppliesTo(regex=r"/^Resource::<FilesBucket\w+\.Arn>\/(uploads|tickets)\/\*$/g")],
        )], apply_to_children=True)

    def grant_read_uploads(self, role: iam.Role) -> None:
        """The import function reads the CSV an agent uploaded (services/imports.py): GetObject
        on uploads/ only; it never writes or lists the bucket."""
        grant_prefix(role, self.bucket, action="s3:GetObject", prefix=UPLOADS_PREFIX, bucket_id="FilesBucket",
                     reason="Upload keys are made per upload (uploads/<caller>/<upload id>): the import function "
                            "reads the CSV an agent uploaded, under that prefix of its own bucket, and nothing else "
                            "in S3.")


def grant_mail_files(bucket: FilesBucket, role: iam.Role) -> None:
    """The mail-in handler stores a mail's files as the note's or ticket's (tickets/ only:
    nothing is uploaded, copied or downloaded)."""
    grant_prefix(role, bucket.bucket, action="s3:PutObject", prefix=TICKETS_PREFIX, bucket_id="FilesBucket",
                 reason="Each file gets its own key (tickets/<number>/<file id>): the mail-in handler may write "
                        "objects under that prefix of the files bucket, and nothing else there.")


def _origin(portal_url: str) -> str | None:
    parts = urlsplit(portal_url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
