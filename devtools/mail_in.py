"""Email in on the local stack. moto has no SES receiving and calls no handler, so:

- `make mail-in FILE=message.eml` stores a raw message under `inbound/` in the inbound
  bucket, as SES's receipt rule would;
- the local worker (`process_inbound`, every second) hands each new object there to the same
  handler as deployed (services/mail_in.py) with a notification shaped like SES's, then moves
  it to `processed/` (or `failed/` when the handler raised), so each is handled once.

The notification's recipients are the message's To, Cc and Delivered-To addresses (SES
would give the envelope's); its verdicts all PASS (nothing checks them locally).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import uuid
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from chalicelib import aws, config

PREFIX = "inbound/"
log = logging.getLogger("portico.mail_in")
PASS = {"status": "PASS"}


def create_inbound_bucket() -> str:
    bucket = config.inbound_bucket()
    aws.client("s3").create_bucket(Bucket=bucket)  # us-east-1: no location constraint
    return bucket


def store(raw: bytes) -> str:
    """Put a raw message where SES's S3 action would; returns its key."""
    key = f"{PREFIX}{uuid.uuid4().hex}"
    aws.client("s3").put_object(Bucket=config.inbound_bucket(), Key=key, Body=raw)
    return key


def _recipients(raw: bytes) -> list[str]:
    try:
        headers = message_from_bytes(raw, policy=policy.default, _class=None)
        found = []
        for name in ("To", "Cc", "Delivered-To", "X-Original-To"):
            for header in headers.get_all(name) or []:
                found += [a.addr_spec.lower() for a in getattr(header, "addresses", ()) if a.addr_spec]
        return list(dict.fromkeys(found))
    except Exception:  # a malformed header: the handler decides what to do with the message
        return []


def notification(bucket: str, key: str, raw: bytes) -> dict[str, Any]:
    """What SES publishes for a message its receipt rule stored (the fields the handler reads)."""
    recipients = _recipients(raw)
    return {
        "notificationType": "Received",
        "mail": {"messageId": key.removeprefix(PREFIX), "destination": recipients},
        "receipt": {"recipients": recipients, "spamVerdict": PASS, "virusVerdict": PASS, "spfVerdict": PASS,
                    "dkimVerdict": PASS, "dmarcVerdict": PASS,
                    "action": {"type": "S3", "bucketName": bucket, "objectKey": key}},
    }


def _move(bucket: str, key: str, prefix: str) -> None:
    s3 = aws.client("s3")
    s3.copy_object(Bucket=bucket, Key=prefix + key.removeprefix(PREFIX), CopySource={"Bucket": bucket, "Key": key})
    s3.delete_object(Bucket=bucket, Key=key)


def process_inbound() -> dict[str, int]:
    """Hand every message under `inbound/` to the handler, once each."""
    from chalicelib.services import mail_in

    bucket = config.inbound_bucket()
    s3 = aws.client("s3")
    handled = {"processed": 0, "failed": 0}
    try:
        listing = s3.list_objects_v2(Bucket=bucket, Prefix=PREFIX, MaxKeys=50)
    except s3.exceptions.NoSuchBucket:
        return handled
    for entry in listing.get("Contents", []):
        key = entry["Key"]
        raw = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-65535")["Body"].read()
        try:
            outcome = mail_in.handle_sns_message(json.dumps(notification(bucket, key, raw)))
        except Exception:  # the deployed Lambda would retry twice, then drop: here, keep it aside
            log.exception("inbound message %s failed", key)
            _move(bucket, key, "failed/")
            handled["failed"] += 1
            continue
        log.info("inbound message %s: %s", key, outcome)
        _move(bucket, key, "processed/")
        handled["processed"] += 1
    return handled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Store a raw message in the local stack's inbound bucket.")
    parser.add_argument("file", type=Path, help="an RFC 5322 message (.eml)")
    args = parser.parse_args(argv)
    from devtools.mail_ops import STACK_FILE, use_stage

    use_stage(None)
    os.environ["PORTICO_INBOUND_BUCKET"] = json.loads(STACK_FILE.read_text())["inbound_bucket"]
    key = store(args.file.read_bytes())
    print(f"stored s3://{config.inbound_bucket()}/{key}; the local stack's worker hands it to the handler "
          "within seconds (make mail shows what it sent)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
