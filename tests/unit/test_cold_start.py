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


def test_every_schema_model_is_built_on_first_use():
    """A request validates with one or two models of its capability's module: building every
    model of the module when it is imported made the first request pay for all of them."""
    code = ("import importlib, inspect, pkgutil, pydantic, chalicelib.schemas as s\n"
            "for info in pkgutil.iter_modules(s.__path__):\n"
            "    module = importlib.import_module(f'chalicelib.schemas.{info.name}')\n"
            "    for name, obj in vars(module).items():\n"
            "        ours = inspect.isclass(obj) and obj.__module__ == module.__name__\n"
            "        if ours and issubclass(obj, pydantic.BaseModel):\n"
            "            if not obj.model_config.get('defer_build') or obj.__pydantic_complete__:\n"
            "                print(f'{module.__name__}.{name}')\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            check=True)
    assert result.stdout.strip() == "", f"built at import (derive from schemas.common.Schema): {result.stdout.split()}"
