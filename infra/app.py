#!/usr/bin/env python3
"""Portico's CDK app: synthesizes one stage (context `stage`, default from cdk.json) and
checks it with cdk-nag's AwsSolutions pack.

    python infra/app.py                      # offline synth of the default stage
    python infra/app.py -c stage=prod ...    # (via the CDK CLI: npx aws-cdk@2 synth -c stage=prod)

Run directly (not through the CDK CLI), it also writes the stage's whole CloudFormation
template to infra/out/template.json (or `--out FILE`) and exits non-zero on any cdk-nag
error, so CI can check the stack without credentials or the CLI.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
from pathlib import Path

INFRA_DIR = Path(__file__).resolve().parent
PROJECT_DIR = INFRA_DIR.parent
for path in (str(INFRA_DIR), str(PROJECT_DIR)):
    if path not in sys.path:
        sys.path.insert(0, path)
# jsii's banner about the machine's Node.js release is noise in CI logs.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")

# `chalice package` asks botocore for a region only to spell service principals
# (apigateway.amazonaws.com); the stack itself stays region-agnostic.
os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("CDK_DEFAULT_REGION", "us-east-1"))
# requirements.txt pins the whole runtime closure but botocore, which the Lambda runtime
# ships: pip installs exactly that list (a 9.5 MB package instead of 25.7 MB).
os.environ.setdefault("PIP_NO_DEPS", "1")

import aws_cdk as cdk  # noqa: E402
from aws_cdk import cx_api  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402
from stacks.portico import PorticoStack  # noqa: E402

OUT_DIR = INFRA_DIR / "out"


def parse_context(argv: list[str]) -> dict[str, str]:
    """`-c key=value` pairs, as the CDK CLI accepts them, for direct runs."""
    context: dict[str, str] = {}
    for flag, value in itertools.pairwise(argv):
        if flag in ("-c", "--context") and "=" in value:
            key, _, val = value.partition("=")
            context[key] = val
    return context


def build(context: dict[str, str] | None = None, outdir: str | None = None) -> tuple[cdk.App, PorticoStack]:
    app = cdk.App(context=context or None, outdir=outdir)
    stage = app.node.try_get_context("stage") or "dev"
    stack = PorticoStack(app, stage)
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return app, stack


def main() -> int:
    direct = "CDK_OUTDIR" not in os.environ  # the CDK CLI sets it
    context = parse_context(sys.argv[1:]) if direct else None
    if direct:
        # Defaults the CLI would read from cdk.json.
        defaults = json.loads((INFRA_DIR / "cdk.json").read_text()).get("context", {})
        context = {**defaults, **(context or {})}
    out_file = OUT_DIR / "template.json"
    if "--out" in sys.argv:
        out_file = Path(sys.argv[sys.argv.index("--out") + 1]).resolve()
    os.chdir(INFRA_DIR)  # the Chalice construct packages into ./chalice.out
    outdir = (INFRA_DIR / "cdk.out" if out_file.parent == OUT_DIR else out_file.parent / "cdk.out") if direct else None
    app, stack = build(context, outdir=str(outdir) if outdir else None)
    assembly = app.synth()
    if not direct:
        return 0
    artifact = assembly.get_stack_artifact(stack.artifact_id)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    partial = out_file.with_suffix(".partial")  # readers never see half a file
    partial.write_text(json.dumps(artifact.template, indent=1, sort_keys=True))
    partial.replace(out_file)
    errors = [m for m in artifact.messages if m.level == cx_api.SynthesisMessageLevel.ERROR]
    for message in artifact.messages:
        print(f"[{message.level.name}] {message.id}: {message.entry.data}", file=sys.stderr)
    print(f"wrote {out_file} (stage {stack.settings.stage}, {len(errors)} errors)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
