"""DynamoDB calls per request, for every route the app registers (auth included), on a warm
container; with `settings_expired`, each route is measured a second time (its scenario set up
again) with the settings cache just expired, as the first request after the cache's 10
seconds pays it. The items each request writes are recorded too (bench/writes.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.budgets import call_budget, named_call_budgets
from bench.dynamo import Calls, counting
from bench.scenarios import SCENARIOS, route_key
from bench.stage import Stage
from bench.writes import Writes, recording

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
    writes: Writes | None = None
    delivery: Writes | None = None  # delivering the mail the request queued (with_delivery)
    expired: Calls | None = None  # the same request with the settings cache expired
    expired_problem: str = ""

    @property
    def ok(self) -> bool:
        if self.state != MEASURED:
            return True  # reported, not failed: see the table
        return not self.problem and self.calls is not None and self.calls.total <= self.budget \
            and not self.calls.scans

    def as_dict(self) -> dict[str, Any]:
        return {"route": self.route, "state": self.state, "budget": self.budget, "status": self.status,
                "ok": self.ok, "problem": self.problem, "note": self.note,
                "calls": self.calls.as_dict() if self.calls else None,
                "writes": self.writes.summary() if self.writes else None,
                "delivery_writes": self.delivery.summary() if self.delivery else None,
                "settings_expired_calls": self.expired.as_dict() if self.expired else None,
                "settings_expired_problem": self.expired_problem}


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


def expire_caches() -> None:
    """The settings cache just expired: the request reads the settings itself."""
    from chalicelib.services import settings

    settings.clear_cache()


def deliver_queued(writes: Writes) -> Writes:
    """Deliver the mail `writes` queued, as the outbox stream's function does right after the
    request (one SES send each), recording what delivery writes."""
    from bench.writes import tables
    from chalicelib.services import mail_delivery

    outbox = {name for name, table in tables().items() if table.logical == "outbox"}
    queued = [item.new["id"]["S"] for item in writes.items if item.table in outbox and item.old is None and item.new]
    with recording() as delivery:
        for message_id in queued:
            mail_delivery.deliver(message_id)
    return delivery


def measure_route(stage: Stage, route: str, *, settings_expired: bool = False,
                  with_delivery: bool = False) -> RouteCalls:
    result = RouteCalls(route, MEASURED, call_budget(route))
    try:
        request = SCENARIOS[route](stage)
        (expire_caches if settings_expired else warm_caches)()
    except Exception as error:  # a scenario that cannot set up is a finding, not a crash
        result.problem = f"setup failed: {type(error).__name__}: {error}"[:300]
        return result
    if request.method.upper() != route.split()[0]:
        result.problem = f"the scenario sent {request.method} {request.path}"
        return result
    with counting() as calls, recording() as writes:
        answer = stage.api.request(request.method, request.path, token=request.token, json_body=request.json,
                                   headers=request.headers)
    result.calls, result.status, result.note, result.writes = calls, answer.status, request.note, writes
    if with_delivery:
        result.delivery = deliver_queued(writes)
    if answer.status != request.expect:
        result.problem = f"answered {answer.status}, expected {request.expect}: {answer.body[:160]!r}"
    return result


def _measured(stage: Stage, route: str, settings_expired: bool) -> RouteCalls:
    """The route warm; then, when asked, once more (a fresh setup) with the settings expired
    (the bench's full pass: also delivering the mail each request queued)."""
    result = measure_route(stage, route, with_delivery=settings_expired)
    if settings_expired and not result.problem:
        again = measure_route(stage, route, settings_expired=True)
        result.expired, result.expired_problem = again.calls, again.problem
        warm_caches()
    return result


def measure_all(stage: Stage, *, settings_expired: bool = False) -> list[RouteCalls]:
    """Every app route: measured when it has a scenario, "not measured" otherwise; then the
    routes the budget table names that the app does not have yet. `settings_expired`: each
    measured route also once with the settings cache expired (`RouteCalls.expired`)."""
    routes = app_routes()
    results = []
    for route in routes:
        if route in SCENARIOS:
            results.append(_measured(stage, route, settings_expired))
        else:
            results.append(RouteCalls(route, NOT_MEASURED, call_budget(route)))
    variants = [key for key in SCENARIOS if key not in routes and variant_of(key) in routes]
    results += [_measured(stage, key, settings_expired) for key in variants]
    for route, budget in named_call_budgets().items():
        if route not in routes and route not in variants:
            results.append(RouteCalls(route, NOT_IN_APP, budget))
    return results
