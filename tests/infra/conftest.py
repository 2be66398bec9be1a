"""The synthesized CloudFormation template of the prod stage, shared by the infra tests.

`make test` runs `make infra-check` first, which writes infra/out/template.json; when the
file is missing, or older than any source the stack is derived from, it is synthesized
again here (offline: no credentials, no CDK CLI)."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "out" / "template.json"
STAGE = "prod"
SOURCES = ("app.py", "requirements.txt", ".chalice/config.json", "chalicelib", "infra/app.py", "infra/cdk.json",
           "infra/stacks", "tests/infra/conftest.py")


def _newest_source() -> float:
    newest = 0.0
    for name in SOURCES:
        path = ROOT / name
        files = [path] if path.is_file() else [
            p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        newest = max([newest, *(p.stat().st_mtime for p in files)])
    return newest


def _template_stage(template: dict[str, Any]) -> str | None:
    return template.get("Metadata", {}).get("PorticoStage")


def _is_fresh(path: Path = TEMPLATE) -> bool:
    if not path.is_file() or path.stat().st_mtime < _newest_source():
        return False
    return _template_stage(json.loads(path.read_text())) == STAGE


def synthesize(*context: str, out: Path = TEMPLATE) -> None:
    """`python infra/app.py -c stage=prod [-c k=v ...] --out FILE` in a clean environment."""
    pytest.importorskip("aws_cdk", reason="infra deps not installed: make infra-check installs infra/requirements.txt")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTICO_", "AWS_", "POWERTOOLS_"))}
    args = [sys.executable, str(ROOT / "infra" / "app.py"), "-c", f"stage={STAGE}", "--out", str(out)]
    for item in context:
        args += ["-c", item]
    answer = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert answer.returncode == 0, f"synth failed:\n{answer.stdout[-4000:]}\n{answer.stderr[-8000:]}"


def synth_lock():
    """Test processes run in parallel: one synthesizes at a time (the Chalice package cache
    and the jsii runtime are heavy), the others wait."""
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    lock = open(TEMPLATE.parent / ".synth.lock", "w")  # noqa: SIM115 - held for the with-block
    fcntl.flock(lock, fcntl.LOCK_EX)
    return lock


def fresh_template(path: Path = TEMPLATE, *context: str) -> dict[str, Any]:
    """The template at `path`, synthesized again first if any source is newer."""
    with synth_lock():
        if not _is_fresh(path):
            synthesize(*context, out=path)
        return json.loads(path.read_text())


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return fresh_template()


# Every deploy setting away from its default, as infra/deploy.py sets some of them on a later
# deploy (the stack exists, the SES sender is verified) and an operator may set the others.
TUNED = ("deletionProtection=true", "agentMailFromSes=true", "mailReservedConcurrency=5", "waf=off",
         "throttleRate=20", "throttleBurst=40", "backupRetentionDays=7",
         "deploymentPreference=Linear10PercentEvery1Minute", "mailSender=support@acme.test",
         "secretVersion=0f1e2d3c-aaaa-bbbb-cccc-111122223333", "inboundDomain=in.acme.test",
         "supportAddress=help@acme.test")


@pytest.fixture(scope="session")
def tuned_template() -> dict[str, Any]:
    return fresh_template(TEMPLATE.with_name("template-tuned.json"), *TUNED)

