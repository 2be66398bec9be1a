"""DynamoDB calls per request, for every route the app registers (auth included)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.budgets import call_budget, named_call_budgets
from bench.dynamo import Calls, counting
from bench.scenarios import SCENARIOS, route_key
from bench.stage import Stage

MEASURED, NOT_MEASURED, NOT_IN_APP = "measured", "not measured", "not in the app yet"


@dataclass
class RouteCalls:
    route: str
    state: str
    budget: int
    calls: Calls | None = None
    status: int | None = None
    problem: str = ""
    note: str = ""

    @property
    def ok(self) -> bool:
        if self.state != MEASURED:
            return True  # reported, not failed: see the table
        return not self.problem and self.calls is not None and self.calls.total <= self.budget \
            and not self.calls.scans

    def as_dict(self) -> dict[str, Any]:
        return {"route": self.route, "state": self.state, "budget": self.budget, "status": self.status,
                "ok": self.ok, "problem": self.problem, "note": self.note,
                "calls": self.calls.as_dict() if self.calls else None}


def app_routes() -> list[str]:
    """Every route the app registers, in registration order."""
    import app  # noqa: F401  (registers the blueprints)
    from chalicelib.routes.api import OPERATIONS

    return list(dict.fromkeys(route_key(op.method, op.path) for op in OPERATIONS))


def variant_of(key: str) -> str:
    """The route a variant scenario measures ("POST /portal/login (2fa due)" -> "POST /portal/login")."""
    return key.split(" (", 1)[0]


def warm_caches() -> None:
    """A warm container: the settings are cached (as they are for up to 10 s per container)."""
    from chalicelib.services import settings

    settings.clear_cache()
    settings.get_settings()


def measure_route(stage: Stage, route: str) -> RouteCalls:
    result = RouteCalls(route, MEASURED, call_budget(route))
    try:
        request = SCENARIOS[route](stage)
        warm_caches()
    except Exception as error:  # a scenario that cannot set up is a finding, not a crash
        result.problem = f"setup failed: {type(error).__name__}: {error}"[:300]
        return result
    if request.method.upper() != route.split()[0]:
        result.problem = f"the scenario sent {request.method} {request.path}"
        return result
    with counting() as calls:
        answer = stage.api.request(request.method, request.path, token=request.token, json_body=request.json,
                                   headers=request.headers)
    result.calls, result.status, result.note = calls, answer.status, request.note
    if answer.status != request.expect:
        result.problem = f"answered {answer.status}, expected {request.expect}: {answer.body[:160]!r}"
    return result


def measure_all(stage: Stage) -> list[RouteCalls]:
    """Every app route: measured when it has a scenario, "not measured" otherwise; then the
    routes the budget table names that the app does not have yet."""
    routes = app_routes()
    results = []
    for route in routes:
        if route in SCENARIOS:
            results.append(measure_route(stage, route))
        else:
            results.append(RouteCalls(route, NOT_MEASURED, call_budget(route)))
    variants = [key for key in SCENARIOS if key not in routes and variant_of(key) in routes]
    results += [measure_route(stage, key) for key in variants]
    for route, budget in named_call_budgets().items():
        if route not in routes and route not in variants:
            results.append(RouteCalls(route, NOT_IN_APP, budget))
    return results
