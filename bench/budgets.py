"""The budget table (bench/budgets.json)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

BUDGETS_FILE = Path(__file__).resolve().parent / "budgets.json"


@cache
def budgets() -> dict[str, Any]:
    return json.loads(BUDGETS_FILE.read_text(encoding="utf-8"))


def call_budget(route: str) -> int:
    calls = budgets()["dynamodb_calls"]
    return int(calls["routes"].get(route, calls["default"]))


def named_call_budgets() -> dict[str, int]:
    return {route: int(limit) for route, limit in budgets()["dynamodb_calls"]["routes"].items()}
