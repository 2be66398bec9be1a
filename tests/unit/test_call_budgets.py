"""Every route stays within its DynamoDB call budget (bench/budgets.json), and nothing scans.

Counts, not times: stable on a noisy machine. The same scenarios drive `make bench`.
"""

from __future__ import annotations

import ast
import os

import pytest

from bench import dynamo
from bench.calls import MEASURED, NOT_MEASURED, measure_all
from bench.stage import Stage
from tests.conftest import ROOT


@pytest.fixture
def warm_container():
    """Settings cached as in a deployed container (the test suite otherwise reads them fresh)."""
    from chalicelib import config
    from chalicelib.services import settings

    before = os.environ["PORTICO_SETTINGS_CACHE_SECONDS"]
    os.environ["PORTICO_SETTINGS_CACHE_SECONDS"] = "600"
    config.reset()
    yield
    os.environ["PORTICO_SETTINGS_CACHE_SECONDS"] = before
    config.reset()
    settings.clear_cache()


def test_every_route_with_a_scenario_stays_within_its_dynamodb_call_budget_and_never_scans(
        api, agents, warm_container):
    results = measure_all(Stage(api, agents))  # setup may scan (test helpers read the outbox); requests never
    measured = [r for r in results if r.state == MEASURED]
    assert measured, "no route was measured"
    failures = [f"{r.route}: {r.calls.summary() if r.calls else '-'} (budget {r.budget}) {r.problem}".strip()
                for r in measured if not r.ok]
    assert not failures, "over budget or failing:\n" + "\n".join(failures)
    scans = {r.route: r.calls.scans for r in measured if r.calls and r.calls.scans}
    assert not scans, f"Scan issued: {scans}"
    # Every route is measured: a new route without a scenario (bench/scenarios/) fails here.
    unmeasured = [r.route for r in results if r.state == NOT_MEASURED]
    assert not unmeasured, f"routes without a bench scenario: {', '.join(unmeasured)}"


@pytest.mark.usefixtures("aws_stack")
def test_the_counter_sees_every_dynamodb_operation_and_flags_scans():
    from chalicelib import aws
    from chalicelib.models.settings import SettingsModel

    with dynamo.counting() as calls:
        aws.client("dynamodb").scan(TableName=SettingsModel.Meta.table_name)
        list(SettingsModel.scan())  # PynamoDB's own client
        list(SettingsModel.query("global"))
    assert calls.operations == {"Scan": 2, "Query": 1}
    assert calls.scans == [SettingsModel.Meta.table_name] * 2


SCAN_NAMES = {"scan", "parallel_scan", "rate_limited_scan", "Scan"}


def test_no_scan_anywhere_in_the_app_code():
    """Also the code paths no scenario reaches: app.py and chalicelib/ never call a Scan."""
    found = []
    for path in [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Attribute):
                name = node.attr
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                name = node.value
            if name in SCAN_NAMES:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, f"Scan in app code: {found}"
