"""Items read vs table size: list routes and jobs read a page, never the table.

Each table named by a `@growth` spec is filled to every size in turn (1,000 then 10,000 rows
by default; `--rows` changes it) and each spec's request or job is counted at each size:
the DynamoDB calls, the items read (ScannedCount for a Query) and an estimate of the read
capacity from the bytes that came back (moto does not model consumed capacity).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bench.dynamo import Calls, counting
from bench.scenarios import GROWTH, Growth, Request
from bench.stage import Stage


@dataclass
class GrowthResult:
    spec: Growth
    available: bool = True
    by_size: dict[int, Calls] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seed_seconds: dict[int, float] = field(default_factory=dict)

    @property
    def flat(self) -> bool:
        reads = {calls.items_read for calls in self.by_size.values()}
        units = {round(calls.read_units, 1) for calls in self.by_size.values()}
        calls = {calls.total for calls in self.by_size.values()}
        return len(reads) <= 1 and len(units) <= 1 and len(calls) <= 1

    @property
    def bounded(self) -> bool:
        """Flat, or (a spec with `reads`) exactly the items its answer needs at each size, in
        the same number of calls."""
        if self.spec.reads is None:
            return self.flat
        calls = {calls.total for calls in self.by_size.values()}
        return len(calls) <= 1 and all(c.items_read == self.spec.reads(n) for n, c in self.by_size.items())

    @property
    def ok(self) -> bool:
        return not self.problems and self.bounded and not any(c.scans for c in self.by_size.values())

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.spec.name, "table": self.spec.table, "note": self.spec.note, "ok": self.ok,
                "available": self.available,
                "problems": self.problems, "seed_seconds": self.seed_seconds,
                "by_size": {str(n): calls.as_dict() for n, calls in self.by_size.items()}}


def _count(stage: Stage, action: Request | Any) -> tuple[Calls, str]:
    from bench.calls import warm_caches

    warm_caches()
    with counting() as calls:
        if isinstance(action, Request):
            answer = stage.api.request(action.method, action.path, token=action.token, json_body=action.json,
                                       headers=action.headers)
            problem = "" if answer.status == action.expect else f"answered {answer.status}"
        else:
            action()
            problem = ""
    return calls, problem


def measure(stage: Stage, sizes: list[int]) -> list[GrowthResult]:
    from bench.calls import app_routes

    routes = app_routes()
    results = [GrowthResult(spec, available=spec.available(routes)) for spec in GROWTH]
    seeded: dict[str, int] = {}
    for size in sorted(sizes):
        for result in results:
            if not result.available:
                continue
            spec = result.spec
            have = seeded.get(spec.table, 0)
            if have < size:
                started = time.monotonic()
                spec.seed(have, size)
                seeded[spec.table] = size
                result.seed_seconds[size] = round(time.monotonic() - started, 1)
            try:
                calls, problem = _count(stage, spec.action(stage))
            except Exception as error:
                result.problems.append(f"{size} rows: {type(error).__name__}: {error}"[:200])
                continue
            result.by_size[size] = calls
            if problem:
                result.problems.append(f"{size} rows: {problem}")
    return results
