"""`make mail-ops ARGS="..."` / `python -m devtools.mail_ops`: see and drive the outbox.

    list    [--status failed|expired|suppressed|stuck ...] [--recipient ADDR] [--template NAME] [--since T]
    requeue ID [ID ...]
    requeue --recipient ADDR [--status ...] [--template NAME] [--since T]
    requeue --status failed --since T

T is an ISO time (2026-05-01T08:00) or an age (30m, 6h, 2d). Without --stage it works on
the running local stack (.local/stack.json); `--stage prod` works on that deployed stage's
tables (portico-prod-outbox, ...) with your usual AWS credentials (AWS_PROFILE, AWS_REGION).
Queries only (services/outbox_ops.py): never a Scan, whatever the table's size.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from devtools.run import STACK_FILE  # written by `make run`

STATUSES = ("failed", "expired", "suppressed", "stuck")
AGE = re.compile(r"^(\d+(?:\.\d+)?)([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str | None, now: datetime) -> datetime | None:
    if not text:
        return None
    age = AGE.match(text.strip())
    if age:
        return now - timedelta(**{UNITS[age.group(2)]: float(age.group(1))})
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def use_stage(stage: str | None) -> None:
    """Point the app's models at the local stack or at a deployed stage's tables."""
    if stage and stage != "local":
        os.environ["PORTICO_STAGE"] = stage
        os.environ.pop("PORTICO_AWS_ENDPOINT_URL", None)
    else:
        if not STACK_FILE.exists():
            raise SystemExit("No local stack: run `make run` first, or pass --stage STAGE for a deployed one.")
        state = json.loads(STACK_FILE.read_text())
        os.environ.update({"PORTICO_AWS_ENDPOINT_URL": state["aws_endpoint_url"], "AWS_REGION": state["region"],
                           "AWS_DEFAULT_REGION": state["region"], "AWS_ACCESS_KEY_ID": "local",
                           "AWS_SECRET_ACCESS_KEY": "local", "PORTICO_STAGE": "local"})
    from chalicelib import aws, config

    config.reset()
    aws.reset()


def row(item: Any) -> str:
    """One outbox item (an OutboxModel) on one line: id status template recipient when attempts error."""
    fields = [item.id, item.status, item.template, item.recipient, (item.attention_at or iso(item.created_at))[:19],
              f"attempts={item.attempts}", (item.last_error or "")[:80]]
    return "  ".join(str(f) for f in fields)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="mail-ops", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--stage", help="a deployed stage (default: the local stack)")
    commands = top.add_subparsers(dest="command", required=True)
    for name in ("list", "requeue"):
        command = commands.add_parser(name)
        if name == "requeue":
            command.add_argument("ids", nargs="*", help="outbox ids (from `list`)")
        command.add_argument("--status", action="append", choices=STATUSES,
                             help="repeatable; default: every one (requeue: failed, expired, suppressed)")
        command.add_argument("--recipient")
        command.add_argument("--template")
        command.add_argument("--since", help="ISO time or age (30m, 6h, 2d)")
        command.add_argument("--stage", dest="sub_stage", help=argparse.SUPPRESS)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    use_stage(args.sub_stage or args.stage)
    from chalicelib.ids import utcnow
    from chalicelib.services import mail_delivery, outbox_ops

    now = utcnow()
    filters = outbox_ops.Filters(tuple(args.status or outbox_ops.LISTABLE), args.recipient, args.template,
                                 parse_since(args.since, now))
    if args.command == "list":
        items = list(outbox_ops.find(filters, now=now))
        for item in items:
            print(row(item))
        print(f"{len(items)} message(s)", file=sys.stderr)
        return 0
    if args.ids:
        done = [message_id for message_id in args.ids if mail_delivery.requeue(message_id, now=now)]
        for message_id in set(args.ids) - set(done):
            print(f"not requeued (no such failed, expired or suppressed message): {message_id}", file=sys.stderr)
    elif args.recipient or args.since or args.status or args.template:
        done = outbox_ops.requeue_matching(filters, now=now)
    else:
        print("requeue what? give ids, --recipient, --status or --since", file=sys.stderr)
        return 2
    for message_id in done:
        print(f"requeued {message_id}")
    print(f"{len(done)} message(s) requeued", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
