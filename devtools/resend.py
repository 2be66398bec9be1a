"""Run the invitation-resend job once against the running local stack (`make resend`).

`--days N` pretends N days have passed, so the reminders due after 1, 3 or 7 days can be
seen at once (the local worker also runs the job every minute in real time)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

STACK_FILE = Path(__file__).resolve().parent.parent / ".local" / "stack.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=0.0, help="pretend this many days have passed")
    args = parser.parse_args()
    if not STACK_FILE.exists():
        print("No local stack: run `make run` first.", file=sys.stderr)
        return 1
    state = json.loads(STACK_FILE.read_text())
    os.environ.update({"PORTICO_AWS_ENDPOINT_URL": state["aws_endpoint_url"], "AWS_REGION": state["region"],
                       "AWS_DEFAULT_REGION": state["region"], "AWS_ACCESS_KEY_ID": "local",
                       "AWS_SECRET_ACCESS_KEY": "local", "PORTICO_STAGE": "local",
                       "PORTICO_PORTAL_URL": state["portal_url"]})
    from chalicelib.ids import utcnow
    from chalicelib.services.invitations import resend_due_invitations

    report = resend_due_invitations(now=utcnow() + timedelta(days=args.days))
    print(f"examined {report.examined}, sent {report.sent}, skipped {report.skipped}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
