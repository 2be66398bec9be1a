#!/usr/bin/env python3
"""Deploy (or destroy) one stage with the CDK CLI, using the operator's AWS credentials.

    make deploy STAGE=prod MAIL_SENDER=support@example.com AGENTS_EMAIL=agents@example.com
    make destroy STAGE=dev

The portal URL (PORTICO_PORTAL_URL, used in email links) is the API's own URL unless
PORTAL_URL names a custom domain. The API's URL exists only once the stack does, so on the
first deploy this runs `cdk deploy` twice (the second pass only updates the functions'
environment); afterwards it reuses the stack's PortalUrl output.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

INFRA_DIR = Path(__file__).resolve().parent
PYTHON = sys.executable


def cdk_cli() -> list[str]:
    if shutil.which("cdk"):
        return ["cdk"]
    return ["npx", "--yes", "aws-cdk@2"]


def stack_outputs(stage: str) -> dict[str, str]:
    import boto3
    from botocore.exceptions import ClientError

    try:
        stack = boto3.client("cloudformation").describe_stacks(StackName=f"portico-{stage}")["Stacks"][0]
    except ClientError as error:
        if "does not exist" in str(error):
            return {}
        raise
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def run_cdk(command: str, context: dict[str, str], extra: list[str]) -> None:
    args = [*cdk_cli(), command, "--app", f"{PYTHON} app.py"]
    for key, value in context.items():
        if value:
            args += ["-c", f"{key}={value}"]
    print("+", " ".join(args + extra), flush=True)
    subprocess.run(args + extra, cwd=INFRA_DIR, check=True)  # noqa: S603 - the operator's own command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", default=os.environ.get("STAGE", "dev"))
    parser.add_argument("--mail-sender", default=os.environ.get("MAIL_SENDER", ""))
    parser.add_argument("--agents-email", default=os.environ.get("AGENTS_EMAIL", ""))
    parser.add_argument("--alarm-email", default=os.environ.get("ALARM_EMAIL", ""))
    parser.add_argument("--portal-url", default=os.environ.get("PORTAL_URL", ""))
    parser.add_argument("--sender-identity", default=os.environ.get("SENDER_IDENTITY", ""),
                        help="email (default): SES mails a verification link; domain; existing")
    parser.add_argument("--app", default=os.environ.get("APP", "cdk"), choices=("cdk", "chalice"),
                        help="cdk: the app is in the stack; chalice: resources only, then `chalice deploy`")
    parser.add_argument("--destroy", action="store_true")
    args, extra = parser.parse_known_args(argv)

    context = {"stage": args.stage, "app": args.app, "mailSender": args.mail_sender,
               "agentsEmail": args.agents_email, "alarmEmail": args.alarm_email,
               "senderIdentity": args.sender_identity}
    if args.destroy:
        run_cdk("destroy", context, extra)
        print("Tables, the user pool, the secret and log groups of a prod stage are retained: delete them in the "
              "console (tables first lose deletion protection) if the data is really to go.")
        return 0
    if not args.mail_sender or not args.agents_email:
        parser.error("MAIL_SENDER and AGENTS_EMAIL are required (the SES sender and the agents' address)")
    portal_url = args.portal_url or stack_outputs(args.stage).get("PortalUrl", "")
    run_cdk("deploy", {**context, "portalUrl": portal_url}, extra)
    if not portal_url and args.app == "cdk":
        portal_url = stack_outputs(args.stage).get("PortalUrl", "")
        run_cdk("deploy", {**context, "portalUrl": portal_url}, [*extra, "--require-approval", "never"])
    outputs = stack_outputs(args.stage)
    print(f"\nportico-{args.stage} deployed.")
    for key in ("PortalUrl", "UserPoolId", "UserPoolClientId", "AlarmTopicArn"):
        if key in outputs:
            print(f"  {key}: {outputs[key]}")
    print(f"Next: verify the SES sender ({args.mail_sender}), then create the first admin:\n"
          f"  .venv/bin/python -m devtools.create_admin --stage {args.stage} --email <you@example.com>")
    return 0


if __name__ == "__main__":
    sys.exit(main())
