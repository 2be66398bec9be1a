"""Importing app.py must stay close to a bare Chalice app: heavy libraries load on first use."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

LAZY = ("pydantic", "joserfc", "argon2", "zxcvbn", "ulid", "aws_lambda_powertools", "aws_xray_sdk", "markdown_it",
        "nh3", "snowballstemmer", "mailparser_reply")


def test_importing_the_app_does_not_import_heavy_libraries():
    code = f"import sys, app; print(','.join(m for m in {LAZY!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            check=True)
    assert result.stdout.strip() == "", f"imported at cold start: {result.stdout.strip()}"
