"""One scenario per route: how to call it, with the data it needs in place.

A scenario is a function registered with `@scenario(method, path)` (the route exactly as
`chalicelib/routes/api.py: OPERATIONS` names it). It receives a `Stage` (the API client and
helpers that create agents, organizations, ...), prepares what the request needs (not
measured) and returns the `Request` to measure. Only the returned request is counted.

A route in OPERATIONS without a scenario is reported as "not measured". A *variant* of a
route, `"POST /portal/login (2fa due)"`, measures another case of the same route with its own
budget; variants run after every route, so what their setup changes touches no other scenario. Add the scenario
beside the others of its capability (one module per capability, imported below).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.stage import Stage


@dataclass
class Request:
    method: str
    path: str
    token: str | None = None
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    expect: int = 200
    note: str = ""


Scenario = Callable[[Stage], Request]
SCENARIOS: dict[str, Scenario] = {}


def route_key(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


def scenario(method: str, path: str) -> Callable[[Scenario], Scenario]:
    def register(fn: Scenario) -> Scenario:
        key = route_key(method, path)
        if key in SCENARIOS:
            raise ValueError(f"two scenarios for {key}")
        SCENARIOS[key] = fn
        return fn

    return register


@dataclass
class Growth:
    """A list route or job whose reads must not grow with its table.

    `seed(start, stop)` adds rows numbered start..stop-1 to the table (in bulk, no API);
    `action(stage)` prepares and returns the request (or, for a job, a function) to count.
    `requires` is the route ("GET /agent/clients") or "jobs:<function>" that must exist.
    `reads(size)`, for a read that is the answer itself (a report over every rated ticket):
    the items it must read at each size instead of the same at every size, `bound` says what."""

    name: str
    table: str
    seed: Callable[[int, int], None]
    action: Callable[[Stage], Request | Callable[[], Any]]
    note: str = ""
    requires: str = ""
    reads: Callable[[int], int] | None = None
    bound: str = ""

    def available(self, routes: list[str]) -> bool:
        if self.requires.startswith("jobs:"):
            from chalicelib import jobs

            return hasattr(jobs, self.requires.removeprefix("jobs:"))
        return (self.requires or self.name.split("?")[0]) in routes


GROWTH: list[Growth] = []


def growth(name: str, *, table: str, seed: Callable[[int, int], None], note: str = "", requires: str = "",
           reads: Callable[[int], int] | None = None, bound: str = ""
           ) -> Callable[[Callable[[Stage], Any]], Callable[[Stage], Any]]:
    def register(fn: Callable[[Stage], Any]) -> Callable[[Stage], Any]:
        GROWTH.append(Growth(name, table, seed, fn, note, requires, reads, bound))
        return fn

    return register


# Capability modules register their scenarios on import.
from bench.scenarios import (  # noqa: E402,F401
    agents,
    assets,
    attachments,
    clients,
    foundation,
    kb,
    mail,
    mail_in,
    portal_access,
    tickets,
    two_factor,
)
