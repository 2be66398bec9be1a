"""The attachments bucket (infra/stacks/files.py): private, encrypted, TLS only, CORS for the
portal's origin limited to POST, uploads never attached expiring after a day, and an API role
that may sign uploads and downloads and copy files, but never delete one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import ROOT
from tests.infra.test_template import functions, resources, role_statements


def the_bucket(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    # The attachments bucket (the stack also has email in's inbound bucket).
    (found,) = [(name, bucket) for name, bucket in resources(template, "AWS::S3::Bucket").items()
                if name.startswith("FilesBucket")]
    return found


def test_the_bucket_is_private_encrypted_versioned_and_tls_only(template):
    name, bucket = the_bucket(template)
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    # prod: kept like the tables, except when a failed first creation rolls back
    assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    (policy,) = [p for p in resources(template, "AWS::S3::BucketPolicy").values()
                 if p["Properties"]["Bucket"] == {"Ref": name}]
    denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and s["Action"] == "s3:*"
               for s in denies)


def test_uploads_never_attached_expire_after_a_day_and_old_versions_expire(template):
    _, bucket = the_bucket(template)
    rules = {r["Id"]: r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    uploads = rules["uploads-never-attached"]
    assert uploads["Prefix"] == "uploads/" and uploads["ExpirationInDays"] == 1 and uploads["Status"] == "Enabled"
    assert all(r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays") for r in rules.values())
    # Files bound to tickets never expire.
    assert not any(r.get("Prefix", "").startswith("tickets") or ("ExpirationInDays" in r and not r.get("Prefix"))
                   for r in rules.values())


def test_the_api_may_sign_uploads_and_downloads_and_copy_files_but_never_delete(template):
    name, _ = the_bucket(template)
    api = functions(template)["APIHandler"]
    assert api["Properties"]["Environment"]["Variables"]["PORTICO_ATTACHMENTS_BUCKET"] == {"Ref": name}
    s3 = [s for s in role_statements(template, api["Properties"]["Role"])
          if any(a.startswith("s3:") for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))]
    granted = {a for s in s3 for a in s["Action"]}
    assert granted == {"s3:PutObject", "s3:GetObject"}
    text = json.dumps(s3)
    assert "/uploads/*" in text and "/tickets/*" in text and name in text
    # The mail-in handler writes a mail's files under tickets/ (tests/infra/test_mail_in.py).
    for other, function in functions(template).items():
        if other not in ("APIHandler", "RunImport", "HandleInboundMail"):
            assert "s3:" not in json.dumps(role_statements(template, function["Properties"]["Role"])), other
    # The import function reads the CSV an agent uploaded: GetObject under uploads/, nothing else.
    run_import = functions(template)["RunImport"]["Properties"]["Role"]
    reads = [s for s in role_statements(template, run_import) if "s3:" in json.dumps(s["Action"])]
    assert [s["Action"] for s in reads] == ["s3:GetObject"]
    assert "/uploads/*" in json.dumps(reads) and "/tickets/" not in json.dumps(reads)
    assert "AttachmentsBucketName" in template["Outputs"]
    assert template["Outputs"]["AttachmentsBucketName"]["Description"] == "PORTICO_ATTACHMENTS_BUCKET"


def test_cors_lets_only_the_portals_origin_post(monkeypatch):
    pytest.importorskip("aws_cdk", reason="infra deps not installed")
    # Only for this test: infra/ on the path would make `import app` find infra/app.py.
    monkeypatch.syspath_prepend(str(ROOT / "infra"))
    import aws_cdk as cdk
    from aws_cdk.assertions import Template
    from stacks.files import FilesBucket

    stack = cdk.Stack(cdk.App(), "Files")
    FilesBucket(stack, "Files", production=False, portal_url="https://help.example.com/portal")
    (bucket,) = Template.from_stack(stack).find_resources("AWS::S3::Bucket").values()
    assert bucket["Properties"]["CorsConfiguration"] == {"CorsRules": [{
        "AllowedHeaders": ["*"], "AllowedMethods": ["POST"], "AllowedOrigins": ["https://help.example.com"],
        "MaxAge": 3600}]}

    bare = cdk.Stack(cdk.App(), "NoPortal")
    FilesBucket(bare, "Files", production=False, portal_url="")
    (bucket,) = Template.from_stack(bare).find_resources("AWS::S3::Bucket").values()
    assert "CorsConfiguration" not in bucket["Properties"]
