"""The Lambda package ships requirements.txt's pins and nothing else: it is built with
PIP_NO_DEPS=1, so that botocore (PynamoDB's dependency, most of the package) is left to the
Lambda runtime, which ships boto3 and botocore. That is only safe while requirements.txt
holds the whole runtime closure; these tests fail the moment it does not."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
# What the Lambda Python runtime provides: boto3 and its dependencies.
LAMBDA_RUNTIME = {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"}
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.txt pins every package exactly: {line!r}"
            pins[_canonical(name)] = version
    return pins


def _closure(names: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(_canonical(requirement.name))
    return seen


def test_requirements_pin_the_whole_runtime_closure_except_what_lambda_ships():
    pins = _pins()
    missing = _closure(set(pins)) - set(pins) - LAMBDA_RUNTIME
    assert not missing, f"add to requirements.txt (pinned): {sorted(missing)}"
    installed = {name: metadata.version(name) for name in pins}
    assert installed == pins, "the tests must run the versions that are shipped"


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("package")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTICO_")}
    env.update(AWS_DEFAULT_REGION="us-east-1", PIP_NO_DEPS="1")
    chalice = Path(sys.executable).with_name("chalice")
    result = subprocess.run([str(chalice), "package", "--stage", "dev", str(out)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    return out / "deployment.zip"


def test_the_package_leaves_the_sdk_to_the_runtime_and_stays_small(package):
    with zipfile.ZipFile(package) as archive:
        tops = {name.split("/", 1)[0] for name in archive.namelist()}
    assert not {"botocore", "boto3"} & tops
    assert {"app.py", "chalicelib", "pynamodb", "cryptography", "pydantic_core"} <= tops
    assert package.stat().st_size < 25 * 1024 * 1024  # bench/budgets.json's package budget


def test_the_package_imports_with_only_the_runtime_sdk_beside_it(package, tmp_path):
    code = tmp_path / "task"  # what Lambda unpacks to /var/task
    with zipfile.ZipFile(package) as archive:
        archive.extractall(code)
    runtime = tmp_path / "runtime"  # stands in for the runtime's boto3 and its dependencies
    runtime.mkdir()
    import botocore

    site = Path(botocore.__file__).resolve().parents[1]
    for module in RUNTIME_MODULES:
        (runtime / module).symlink_to(site / module)
    script = """
import importlib, pkgutil, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import app, chalicelib
for module in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
    importlib.import_module(module.name)
import argon2, joserfc.jwk, joserfc.jwt, pydantic, ulid, zxcvbn
from aws_lambda_powertools.utilities import idempotency
argon2.PasswordHasher().hash("x" * 12)
outside = sorted(name for name, module in sys.modules.items()
                 if "site-packages" in (getattr(module, "__file__", None) or "")
                 and not (getattr(module, "__file__", "") or "").startswith(sys.argv[2]))
assert not outside, outside
print("imported", len(sys.modules))
"""
    # -I -S: no site-packages, no user site, no PYTHONPATH: only the package and the runtime.
    result = subprocess.run([sys.executable, "-I", "-S", "-c", script, str(code), str(runtime)],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("imported")
