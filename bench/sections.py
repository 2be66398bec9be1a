"""Each part of `make bench` turns its measurements into table rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.report import ERROR, INFO, NOT_IN_APP, NOT_MEASURED, OK, OVER, Row, verdict


def calls_rows(local: Any, sizes: list[int]) -> list[Row]:
    from bench import dynamo
    from bench.calls import MEASURED, measure_all
    from bench.calls import NOT_IN_APP as ROUTE_NOT_IN_APP
    from bench.stage import Stage

    rows = []
    with dynamo.counting() as everything:
        results = measure_all(Stage(local.api, local.agents))
    for r in results:
        if r.state == MEASURED and r.calls is not None:
            state = ERROR if r.problem else verdict(r.ok)
            detail = f"{r.calls.summary()}; items read {r.calls.items_read}"
            if r.problem:
                detail = f"{r.problem}; {detail}"
            elif r.note:
                detail = f"{detail} ({r.note})"
            rows.append(Row("dynamodb calls", r.route, str(r.calls.total), f"≤ {r.budget}", state, detail,
                            r.as_dict()))
        elif r.state == MEASURED:
            rows.append(Row("dynamodb calls", r.route, "-", f"≤ {r.budget}", ERROR, r.problem, r.as_dict()))
        elif r.state == ROUTE_NOT_IN_APP:
            rows.append(Row("dynamodb calls", r.route, "-", f"≤ {r.budget}", NOT_IN_APP,
                            "budgeted in bench/budgets.json; no such route registered yet", r.as_dict()))
        else:
            rows.append(Row("dynamodb calls", r.route, "-", f"≤ {r.budget}", NOT_MEASURED,
                            "no scenario in bench/scenarios/", r.as_dict()))
    rows.append(Row("dynamodb calls", "Scan (anywhere, setup included)", str(len(everything.scans)), "0",
                    verdict(not everything.scans), ", ".join(everything.scans)))
    return rows


def run_parts(local: Any, parts: list[str], sizes: list[int]) -> list[Row]:
    registry: dict[str, Callable[[Any, list[int]], list[Row]]] = {"calls": calls_rows}
    rows: list[Row] = []
    for part in parts:
        fn = registry.get(part)
        if fn is None:
            rows.append(Row(part, part, "-", "-", NOT_MEASURED, "not built yet"))
            continue
        try:
            rows.extend(fn(local, sizes))
        except Exception as error:
            rows.append(Row(part, part, "-", "-", ERROR, f"{type(error).__name__}: {error}"[:300]))
    return rows


__all__ = ["INFO", "OK", "OVER", "run_parts"]
