#!/usr/bin/env python3
"""`make rollback STAGE=prod [FUNCTION=APIHandler] [VERSION=12]`: point each function's `live`
alias back at its previous published version (the CDK mode publishes one per deploy).

It moves the aliases only. The stack still describes the newer version, so the next
`make deploy` of the same code would not move them again: fix forward, then deploy (a code
change publishes a new version and moves the aliases). A CodeDeploy traffic shift that is
still running rolls itself back on its alarms; to stop one by hand first:
`aws deploy stop-deployment --deployment-id <id> --auto-rollback-enabled`.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

ALIAS = "live"


def previous_version(versions: list[str], current: str) -> str | None:
    """The newest published version older than `current` ($LATEST is never one)."""
    numbers = sorted(int(v) for v in versions if v.isdigit())
    older = [n for n in numbers if n < int(current)]
    return str(older[-1]) if older else None


def stack_functions(cloudformation: Any, stage: str) -> dict[str, str]:
    """Logical id -> function name, for the stage's functions."""
    functions = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=f"portico-{stage}"):
        for resource in page["StackResourceSummaries"]:
            if resource["ResourceType"] == "AWS::Lambda::Function":
                functions[resource["LogicalResourceId"]] = resource["PhysicalResourceId"]
    return functions


def roll_back(lambda_client: Any, function_name: str, to_version: str | None = None) -> tuple[str, str] | None:
    """Move the alias; answer (from, to) or None when there is no earlier version."""
    current = lambda_client.get_alias(FunctionName=function_name, Name=ALIAS)["FunctionVersion"]
    if to_version is None:
        versions = [v["Version"] for page in lambda_client.get_paginator("list_versions_by_function").paginate(
            FunctionName=function_name) for v in page["Versions"]]
        to_version = previous_version(versions, current)
    if to_version is None:
        return None
    # No routing config: all traffic to that version, including a canary's share.
    lambda_client.update_alias(FunctionName=function_name, Name=ALIAS, FunctionVersion=to_version,
                               RoutingConfig={"AdditionalVersionWeights": {}})
    return current, to_version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", default=os.environ.get("STAGE", "dev"))
    parser.add_argument("--function", default=os.environ.get("FUNCTION", ""),
                        help="logical id (APIHandler, SweepOutbox, ...); default: every function")
    parser.add_argument("--version", default=os.environ.get("VERSION", ""), help="default: the previous one")
    args = parser.parse_args(argv)

    import boto3

    functions = stack_functions(boto3.client("cloudformation"), args.stage)
    if args.function:
        functions = {k: v for k, v in functions.items() if k == args.function}
        if not functions:
            parser.error(f"no function {args.function} in portico-{args.stage}")
    lambda_client = boto3.client("lambda")
    status = 0
    for logical, name in sorted(functions.items()):
        moved = roll_back(lambda_client, name, args.version or None)
        if moved:
            print(f"{logical}: {ALIAS} {moved[0]} -> {moved[1]}")
        else:
            print(f"{logical}: no version before the current one; left as it is", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
