#!/usr/bin/env python3
"""Deploy (or destroy) one stage with the CDK CLI, using the operator's AWS credentials.

    make deploy STAGE=prod MAIL_SENDER=support@example.com AGENTS_EMAIL=agents@example.com
    make destroy STAGE=dev

The portal URL (PORTICO_PORTAL_URL, used in email links) is the API's own URL unless
PORTAL_URL names a custom domain. The API's URL exists only once the stack does, so on the
first deploy this runs `cdk deploy` twice (the second pass only updates the functions'
environment); afterwards it reuses the stack's PortalUrl output.

What it reads from the account before deploying (docs/operations.md):
- whether the stack exists: deletion protection of a production stage's tables and user pool
  is turned on only then (`-c deletionProtection=true`), so that a failed first deploy rolls
  back cleanly and can be retried as is;
- whether the stack's tables exist without the stack (retained by `make destroy`, or kept by
  an update's rollback): it stops and prints the exact cleanup rather than fail half-way
  with "already exists" (it does not adopt them: an import must match the template exactly
  and is a decision about production data, left to the operator);
- whether SES has verified the sender: only then do agents' Cognito mails go through SES
  (`-c agentMailFromSes=true`); Cognito refuses an unverified identity.
- the secret key's versions of the last deploy (`SecretVersion`, `OlderSecretVersions`
  outputs): passed again unless the command names either (`-c secretVersion=N`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

INFRA_DIR = Path(__file__).resolve().parent
PYTHON = sys.executable
# States in which the stack exists and has completed at least one deploy.
SETTLED = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE",
           "IMPORT_ROLLBACK_COMPLETE")


def cdk_cli() -> list[str]:
    if shutil.which("cdk"):
        return ["cdk"]
    return ["npx", "--yes", "aws-cdk@2"]


def describe_stack(stage: str) -> dict[str, Any] | None:
    import boto3
    from botocore.exceptions import ClientError

    try:
        return boto3.client("cloudformation").describe_stacks(StackName=f"portico-{stage}")["Stacks"][0]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise


def stack_outputs(stage: str) -> dict[str, str]:
    stack = describe_stack(stage) or {}
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def table_names(stage: str) -> list[str]:
    """The tables the stack creates (derived from the models, as the stack does)."""
    for path in (str(INFRA_DIR.parent), str(INFRA_DIR)):
        if path not in sys.path:
            sys.path.append(path)  # after the rest: the project's app.py stays `app`
    from stacks.tables import physical_name, table_specs

    return [physical_name(stage, logical) for logical in table_specs()[0]]


def leftover_tables(stage: str) -> list[str]:
    """The stage's tables that exist although its stack does not (DescribeTable each)."""
    import boto3

    dynamodb = boto3.client("dynamodb")
    found = []
    for name in table_names(stage):
        try:
            dynamodb.describe_table(TableName=name)
        except dynamodb.exceptions.ResourceNotFoundException:
            continue
        found.append(name)
    return found


def cleanup_commands(tables: list[str]) -> str:
    """Back up, unprotect and delete each table: the exact commands, for the operator to run."""
    lines = []
    for name in tables:
        lines += [
            f"aws dynamodb create-backup --table-name {name} --backup-name {name}-before-redeploy",
            f"aws dynamodb update-table --table-name {name} --no-deletion-protection-enabled",
            f"aws dynamodb delete-table --table-name {name}",
            f"aws dynamodb wait table-not-exists --table-name {name}",
        ]
    return "\n".join(lines)


def sender_verified(sender: str) -> bool:
    """SES has verified the sender's address or its domain (in this account and region)."""
    import boto3

    identities = [sender, sender.split("@")[-1]]
    found = boto3.client("ses").get_identity_verification_attributes(Identities=identities)
    return any(a.get("VerificationStatus") == "Success" for a in found["VerificationAttributes"].values())


def run_cdk(command: str, context: dict[str, str], extra: list[str]) -> None:
    args = [*cdk_cli(), command, "--app", f"{PYTHON} app.py"]
    for key, value in context.items():
        if value:
            args += ["-c", f"{key}={value}"]
    print("+", " ".join(args + extra), flush=True)
    subprocess.run(args + extra, cwd=INFRA_DIR, check=True)  # noqa: S603 - the operator's own command line


def kept_secret_versions(extra: list[str], outputs: dict[str, str]) -> dict[str, str]:
    """The secret key's versions of the last deploy (docs/operations.md, "Rotate the secret
    key") unless the command names either: forgetting them would seal under version 1 again
    and stop reading what the newer versions sealed."""
    if any(re.match(r"(-c|--context=)?(secretVersion|olderSecretVersions)=", arg) for arg in extra):
        return {}
    return {"secretVersion": outputs.get("SecretVersion", ""),
            "olderSecretVersions": outputs.get("OlderSecretVersions", "")}


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
        kept = leftover_tables(args.stage)
        if kept:
            print("Kept (production data outlives the stack): the tables below, the user pool, the secret, the "
                  "backup vault and log groups. Before deploying this stage again, delete the tables if the data "
                  f"is really to go:\n{cleanup_commands(kept)}")
        return 0
    if not args.mail_sender or not args.agents_email:
        parser.error("MAIL_SENDER and AGENTS_EMAIL are required (the SES sender and the agents' address)")
    stack = describe_stack(args.stage)
    exists = bool(stack) and stack["StackStatus"] in SETTLED
    if not exists:
        kept = leftover_tables(args.stage)
        if kept:
            print(f"portico-{args.stage} does not exist but its tables do ({', '.join(kept)}): CloudFormation "
                  "cannot create tables with these names. Back them up and delete them, then deploy again:\n"
                  f"{cleanup_commands(kept)}\n(docs/operations.md, 'Restore a table', copies data back from a "
                  "backup.)", file=sys.stderr)
            return 2
    context["deletionProtection"] = "true" if exists else ""
    if exists:
        context.update(kept_secret_versions(extra, stack_outputs(args.stage)))
    context["agentMailFromSes"] = "true" if sender_verified(args.mail_sender) else ""
    if not context["agentMailFromSes"]:
        print(f"SES has not verified {args.mail_sender} yet: agents' Cognito mail uses Cognito's own mailer "
              "until a deploy after the verification.")
    portal_url = args.portal_url or stack_outputs(args.stage).get("PortalUrl", "")
    run_cdk("deploy", {**context, "portalUrl": portal_url}, extra)
    protected = exists
    if not portal_url and args.app == "cdk":
        # The stack exists now: this pass also turns deletion protection on.
        portal_url = stack_outputs(args.stage).get("PortalUrl", "")
        run_cdk("deploy", {**context, "portalUrl": portal_url, "deletionProtection": "true"},
                [*extra, "--require-approval", "never"])
        protected = True
    outputs = stack_outputs(args.stage)
    print(f"\nportico-{args.stage} deployed.")
    for key in ("PortalUrl", "UserPoolId", "UserPoolClientId", "AlarmTopicArn"):
        if key in outputs:
            print(f"  {key}: {outputs[key]}")
    if not protected:
        print("First deploy: run `make deploy` once more to turn on deletion protection (production stages).")
    print(f"Next: verify the SES sender ({args.mail_sender}), then create the first admin:\n"
          f"  .venv/bin/python -m devtools.create_admin --stage {args.stage} --email <you@example.com>")
    return 0


if __name__ == "__main__":
    sys.exit(main())
