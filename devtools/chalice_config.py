"""Write a deployed resources-only stack's outputs into .chalice/config.json, for stages
deployed with `chalice deploy` rather than by the CDK stack (see README, Deploy):

    make deploy STAGE=prod APP=chalice MAIL_SENDER=... AGENTS_EMAIL=...   # infra only
    .venv/bin/python -m devtools.chalice_config --stage prod              # outputs -> config.json
    eval "$(.venv/bin/python -m devtools.chalice_config --stage prod --exports)"
    .venv/bin/chalice deploy --stage prod

Every stack output whose description is an environment variable name (PORTICO_*) becomes
that variable in the stage's `environment_variables`; `<Function>RoleArn` outputs become
each function's `iam_role_arn` (Chalice does not manage roles then). `--exports` prints
what app.py needs in the deploying shell at import time (the authorizer's pool ARN, the
outbox stream). Run it again after the first `chalice deploy` to set PORTICO_PORTAL_URL
from .chalice/deployed/<stage>.json.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONFIG = PROJECT_DIR / ".chalice" / "config.json"
ENV_NAME = re.compile(r"^PORTICO_[A-Z0-9_]+$")
ROLE_OUTPUT = re.compile(r"^chalice: lambda_functions\.(\w+)\.iam_role_arn$")
IMPORT_TIME = ("PORTICO_USER_POOL_ARN", "PORTICO_OUTBOX_STREAM_ARN")


def stack_outputs(stage: str) -> list[dict[str, str]]:
    import boto3

    stack = boto3.client("cloudformation").describe_stacks(StackName=f"portico-{stage}")["Stacks"][0]
    return stack.get("Outputs", [])


def stage_config(current: dict[str, Any], outputs: list[dict[str, str]], stage: str,
                 deployed: dict[str, Any] | None) -> dict[str, Any]:
    config = dict(current)
    env = dict(config.get("environment_variables", {}))
    roles: dict[str, str] = {}
    for output in outputs:
        description = output.get("Description", "")
        if ENV_NAME.match(description):
            env[description] = output["OutputValue"]
        elif match := ROLE_OUTPUT.match(description):
            roles[match.group(1)] = output["OutputValue"]
    env["PORTICO_STAGE"] = stage
    if "PORTICO_SECRET_KEY_ARN" in env:
        env.pop("PORTICO_SECRET_KEY", None)  # never a literal key in a committed file
    api_url = next((r.get("rest_api_url") for r in (deployed or {}).get("resources", [])
                    if r.get("resource_type") == "rest_api"), None)
    if api_url:
        env["PORTICO_PORTAL_URL"] = api_url.rstrip("/") + "/portal"
    config["environment_variables"] = env
    config["xray"] = True
    if roles:
        config["manage_iam_role"] = False
        config["iam_role_arn"] = roles.pop("api_handler", next(iter(roles.values())))
        functions = dict(config.get("lambda_functions", {}))
        for handler, arn in roles.items():
            functions[handler] = {**functions.get(handler, {}), "iam_role_arn": arn}
        config["lambda_functions"] = functions
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--exports", action="store_true", help="print `export` lines instead of writing")
    args = parser.parse_args(argv)
    outputs = stack_outputs(args.stage)
    if args.exports:
        for output in outputs:
            if output.get("Description") in IMPORT_TIME:
                print(f"export {output['Description']}={shlex.quote(output['OutputValue'])}")
        return 0
    config = json.loads(CONFIG.read_text())
    deployed_file = PROJECT_DIR / ".chalice" / "deployed" / f"{args.stage}.json"
    deployed = json.loads(deployed_file.read_text()) if deployed_file.exists() else None
    stages = config.setdefault("stages", {})
    stages[args.stage] = stage_config(stages.get(args.stage, {}), outputs, args.stage, deployed)
    CONFIG.write_text(json.dumps(config, indent=2) + "\n")
    print(f"updated stage {args.stage} in {CONFIG.relative_to(PROJECT_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
