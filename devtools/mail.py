"""`make mail`: the email the running local stack's SES (moto) has sent, oldest first.

Reads `.local/stack.json` (written by `make run`) for the AWS endpoint, then moto's
`/moto-api/data.json` → `ses.TemplateMessage` (template, destinations, template data).
moto keeps no send time, so the time comes from the outbox item that SES's message id
was recorded on; mail still pending or failed in the outbox is listed at the end.
`--json` prints the sent mail as JSON; `--to ADDRESS` / `--template NAME` filter.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from chalicelib.mail.templates import logical_template_name

ROOT = Path(__file__).resolve().parent.parent
LOCAL_STAGE = "local"  # PORTICO_STAGE of `make run` (devtools/run.py); SES names carry it
STACK_FILE = Path(os.environ.get("PORTICO_STATE_DIR", ROOT / ".local")) / "stack.json"


def sent_mail(endpoint_url: str, region: str = "us-east-1") -> list[dict[str, Any]]:
    import requests

    data = requests.get(f"{endpoint_url.rstrip('/')}/moto-api/data.json", timeout=10).json()
    sent_times = {item["message_id"]: item["sent_at"] for item in outbox_items(endpoint_url, region)
                  if item.get("message_id") and item.get("sent_at")}
    mail = []
    for raw in data.get("ses", {}).get("TemplateMessage", []):
        destinations = raw.get("destinations") or {}
        mail.append({
            "sent_at": sent_times.get(raw.get("id", ""), ""),
            "template": logical_template_name(raw.get("template", ""), LOCAL_STAGE),
            "to": [a for field in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destinations.get(field, [])],
            "from": raw.get("source", ""),
            "data": json.loads(raw.get("template_data") or "{}"),
            "ses_message_id": raw.get("id", ""),
        })
    return mail


def outbox_items(endpoint_url: str, region: str = "us-east-1") -> list[dict[str, str]]:
    """The local outbox (a dev tool may Scan; the app never does): status, SES id, times."""
    import boto3

    dynamodb = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url,
                            aws_access_key_id="local", aws_secret_access_key="local")
    tables = [t for t in dynamodb.list_tables()["TableNames"] if t.endswith("-outbox")]
    items = []
    for table in tables:
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            for raw in page["Items"]:
                items.append({k: v.get("S") or v.get("N") or "" for k, v in raw.items()
                              if k in ("id", "status", "message_id", "sent_at", "last_error", "template")})
    return items


def render(mail: list[dict[str, Any]]) -> str:
    if not mail:
        return "No mail sent yet."
    blocks = []
    for n, message in enumerate(mail, 1):
        when = message["sent_at"] or "(time unknown)"
        lines = [f"#{n}  {when}  {message['template']}  →  {', '.join(message['to'])}"]
        for key, value in message["data"].items():
            lines.append(f"    {key}: {value if isinstance(value, str) else json.dumps(value)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Show the email the local stack's SES has sent.")
    parser.add_argument("--to", help="only mail to this address")
    parser.add_argument("--template", help="only mail with this template")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    if not STACK_FILE.exists():
        print(f"No local stack found ({STACK_FILE} is missing): start it with `make run`.", file=sys.stderr)
        return 1
    state = json.loads(STACK_FILE.read_text())
    endpoint, region = state["aws_endpoint_url"], state.get("region", "us-east-1")
    try:
        mail = sent_mail(endpoint, region)
        waiting = [i for i in outbox_items(endpoint, region) if i.get("status") in ("pending", "sending", "failed")]
    except Exception as error:  # connection refused, moto gone: say so plainly
        print(f"The local stack at {endpoint} is not answering ({error}); is `make run` still running?",
              file=sys.stderr)
        return 1
    mail = [m for m in mail if (not args.template or m["template"] == args.template)
            and (not args.to or args.to.lower() in (a.lower() for a in m["to"]))]
    if args.json:
        print(json.dumps(mail, indent=2))
        return 0
    print(render(mail))
    for item in waiting:
        note = f" ({item['last_error']})" if item.get("last_error") else ""
        print(f"\n[{item['status']}] {item.get('template', '')} outbox id {item['id']}{note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
