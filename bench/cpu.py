"""Per-request CPU of the app's own work on a warm container, moto excluded.

The handler is called as Lambda calls it (`app(event, context)` with an API Gateway event,
Cognito claims from the gateway) in this thread, while moto answers from its own server
thread: `time.thread_time()` counts only this thread's CPU, so moto's work is not in it
(nor is waiting for it). A second pass under cProfile (same thread clock) names the top
functions. Setup for each call (the scenario) is outside both measurements.
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import os
import pstats
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.coldstart import LAMBDA_ENV, api_gateway_event, unverified_claims
from bench.environment import ROOT
from bench.scenarios import SCENARIOS
from bench.stage import Stage

# The hot paths profiled (ticket lists, note creation) and what exists before them.
PROFILED = ("GET /portal/tickets", "GET /agent/tickets", "POST /portal/tickets/{number}/notes",
            "POST /agent/tickets/{number}/notes", "GET /agent/organizations", "POST /agent/organizations")
# Sent again as they are (a warm container serving the same list, more notes on one ticket):
# their setup runs once, not before each of the ~50 calls. Others (creating a named
# organization) need a fresh request each time.
REPEATABLE = ("POST /portal/tickets/{number}/notes", "POST /agent/tickets/{number}/notes")
# Every request passes through these; naming them says nothing about the route.
WRAPPERS = frozenset({"log_invocation", "log_request", "secure_answer", "refuse_oversized_body",
                      "page_for_browser_navigation", "view", "run_handler"})


@dataclass
class CpuResult:
    route: str
    cpu_ms: list[float] = field(default_factory=list)
    by_package: list[tuple[str, float]] = field(default_factory=list)  # share of self time
    # (function, share of self time, share including callees); profiled time, so shares not ms
    top: list[tuple[str, float, float]] = field(default_factory=list)
    top_app: list[tuple[str, float]] = field(default_factory=list)  # app functions: share of the request
    problem: str = ""

    @property
    def median_ms(self) -> float:
        return statistics.median(self.cpu_ms) if self.cpu_ms else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {"route": self.route, "median_cpu_ms": round(self.median_ms, 2),
                "cpu_ms": [round(x, 2) for x in self.cpu_ms], "problem": self.problem,
                "self_time_share_by_package": [(p, round(s, 3)) for p, s in self.by_package],
                "top_functions_self_and_cumulative_share": [(f, round(s, 3), round(c, 3)) for f, s, c in self.top],
                "top_app_functions_cumulative_share": [(f, round(c, 3)) for f, c in self.top_app]}


@contextmanager
def behind_api_gateway() -> Iterator[None]:
    """The app trusts the gateway's Cognito claims, as deployed."""
    from chalicelib import config

    saved = {k: os.environ.get(k) for k in LAMBDA_ENV}
    os.environ.update(LAMBDA_ENV)
    config.reset()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        config.reset()


def _event(stage: Stage, route: str, auth: str) -> tuple[dict[str, Any], int]:
    import json

    request = SCENARIOS[route](stage)
    headers = {"content-type": "application/json", "accept": "application/json", "user-agent": "bench",
               **{k.lower(): v for k, v in request.headers.items()}}
    if request.method != "GET":
        headers["x-requested-with"] = "portico"  # as the portal page sends every write
    claims = None
    if request.token:
        headers["authorization"] = request.token
        if auth == "agent":
            claims = unverified_claims(request.token)
    body = json.dumps(request.json) if request.json is not None else None
    return api_gateway_event(route, request.path, headers=headers, body=body, claims=claims), request.expect


def fresh_key(stage: Stage, event: dict[str, Any]) -> dict[str, Any]:
    """A request sent again as the page sends a new one: with a new Idempotency-Key (the same
    key would measure a replay)."""
    if "idempotency-key" not in event["headers"]:
        return event
    headers = {**event["headers"], "idempotency-key": f"bench-cpu-{stage.serial()}"}
    return {**event, "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()}}


def _package(filename: str) -> str:
    path = Path(filename)
    if path.is_relative_to(ROOT / "chalicelib") or path == ROOT / "app.py":
        return "portico (chalicelib, app.py)"
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split(".")[0]
    if filename.startswith("<") or filename == "~":
        return "builtins"
    return "stdlib"


def _label(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    path = Path(filename)
    if path.is_relative_to(ROOT):
        short = str(path.relative_to(ROOT))
    elif "site-packages" in path.parts:
        short = "/".join(path.parts[path.parts.index("site-packages") + 1:])
    else:
        short = path.name if filename != "~" else ""
    return f"{short}:{line}({name})" if short else name


def _summarise(result: CpuResult, profile: cProfile.Profile, runs: int) -> None:
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total_self = sum(entry[2] for entry in stats.values()) or 1.0
    packages: Counter = Counter()
    for func, (_, _, tottime, _, _) in stats.items():
        packages[_package(func[0])] += tottime
    result.by_package = [(name, share / total_self) for name, share in packages.most_common(6)]
    by_self = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:8]
    result.top = [(_label(f), s[2] / total_self, s[3] / total_self) for f, s in by_self]
    app_funcs = [(f, s) for f, s in stats.items()
                 if _package(f[0]).startswith("portico") and f[2] not in WRAPPERS]
    app_funcs.sort(key=lambda kv: kv[1][3], reverse=True)
    result.top_app = [(_label(f), s[3] / total_self) for f, s in app_funcs[:8]]


def measure(stage: Stage, runs: int = 25, warmup: int = 3) -> list[CpuResult]:
    from app import app
    from chalicelib.routes.api import OPERATIONS

    auth_of = {f"{op.method} {op.path}": op.auth for op in OPERATIONS}
    results = []
    with behind_api_gateway(), contextlib.redirect_stdout(io.StringIO()):
        for route in PROFILED:
            if route not in SCENARIOS or route not in auth_of:
                continue
            result = CpuResult(route)
            results.append(result)
            repeatable = route.startswith("GET ") or route in REPEATABLE
            built: list[tuple[dict[str, Any], int]] = []

            def next_event(route: str = route, repeatable: bool = repeatable,
                           built: list[tuple[dict[str, Any], int]] = built) -> tuple[dict[str, Any], int]:
                if not built or not repeatable:
                    built[:] = [_event(stage, route, auth_of[route])]
                return fresh_key(stage, built[0][0]), built[0][1]

            try:
                for _ in range(warmup):
                    event, expect = next_event()
                    status = app(event, None)["statusCode"]
                    if status != expect:
                        raise RuntimeError(f"answered {status}, expected {expect}")
                for _ in range(runs):
                    event, _expect = next_event()
                    started = time.thread_time()
                    app(event, None)
                    result.cpu_ms.append((time.thread_time() - started) * 1000)
                profile = cProfile.Profile(time.thread_time)
                for _ in range(runs):
                    event, _expect = next_event()
                    profile.enable()
                    app(event, None)
                    profile.disable()
                _summarise(result, profile, runs)
            except Exception as error:
                result.problem = f"{type(error).__name__}: {error}"[:200]
    return results
