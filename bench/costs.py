"""What a million requests cost, for a stated mix of routes, at list prices.

Each route of MIX is served as Lambda serves it (bench/cpu.py: the handler called with an API
Gateway event in this thread, moto answering from its own thread) a few times, each with its
scenario's setup outside the measure, and for each request: this thread's CPU time, the
DynamoDB calls and read units (strongly consistent reads and transactions priced as
DynamoDB bills them), the write units of every item and index entry written
(bench/writes.py), and the mails queued (outbox items created: each is one SES send).

Lambda's duration is not measured CPU alone: a function gets CPU in proportion to its memory
(one vCPU at 1,769 MB), so the CPU measured on one core takes 1,769 / memory times as long
(at less than 1,769 MB), and each DynamoDB or Cognito call waits for the network
(ROUND_TRIP_MS, a stated assumption). Not counted: CloudWatch Logs and metrics, S3 (files),
data transfer, Cognito (billed per monthly active user, not per call), the outbox's stream
and sweeper invocations.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from bench.stage import Stage

# The mix, per 100 requests: a helpdesk's day (clients reading and replying in the portal,
# agents working their queue). Variants name what the page sends (Idempotency-Key).
MIX: dict[str, int] = {
    "GET /portal/tickets": 15,
    "GET /portal/tickets/{number}": 20,
    "POST /portal/login": 5,
    "POST /portal/tickets": 5,
    "POST /portal/tickets/{number}/notes": 10,
    "GET /agent/tickets": 15,
    "GET /agent/tickets/{number}": 10,
    "GET /agent/tickets/{number}/notes": 5,
    "POST /agent/tickets/{number}/notes": 10,
    "PATCH /agent/tickets/{number}": 5,
}

# List prices, us-east-1, on-demand (USD), as of 2026-11: stated so that a change shows.
PRICES = {
    "lambda_per_gb_second": 0.0000166667,      # x86_64
    "lambda_per_million_requests": 0.20,
    "api_gateway_rest_per_million": 3.50,      # REST API, first 333 million a month
    "dynamodb_per_million_write_units": 0.625,  # on-demand write request units
    "dynamodb_per_million_read_units": 0.125,   # on-demand read request units
    "ses_per_thousand_mails": 0.10,
}
ROUND_TRIP_MS = 6.0  # one DynamoDB or Cognito call from Lambda in the same Region, typical
FULL_VCPU_MB = 1769
RUNS = 5


@dataclass
class RouteCost:
    route: str
    share: int
    cpu_ms: list[float] = field(default_factory=list)
    calls: float = 0.0
    cognito_calls: float = 0.0
    read_units: float = 0.0
    write_units: float = 0.0
    mails: float = 0.0
    problem: str = ""

    def duration_ms(self, memory_mb: int) -> float:
        cpu = statistics.median(self.cpu_ms) if self.cpu_ms else 0.0
        return cpu * max(1.0, FULL_VCPU_MB / memory_mb) + (self.calls + self.cognito_calls) * ROUND_TRIP_MS

    def per_request_usd(self, memory_mb: int) -> dict[str, float]:
        billed_ms = math.ceil(self.duration_ms(memory_mb))
        return {
            "lambda": billed_ms / 1000 * memory_mb / 1024 * PRICES["lambda_per_gb_second"]
            + PRICES["lambda_per_million_requests"] / 1e6,
            "api_gateway": PRICES["api_gateway_rest_per_million"] / 1e6,
            "dynamodb_reads": self.read_units * PRICES["dynamodb_per_million_read_units"] / 1e6,
            "dynamodb_writes": self.write_units * PRICES["dynamodb_per_million_write_units"] / 1e6,
            "ses": self.mails * PRICES["ses_per_thousand_mails"] / 1e3,
        }

    def as_dict(self, memory_mb: int) -> dict[str, Any]:
        return {"route": self.route, "share_percent": self.share, "problem": self.problem,
                "cpu_ms": [round(x, 2) for x in self.cpu_ms], "duration_ms": round(self.duration_ms(memory_mb), 1),
                "dynamodb_calls": self.calls, "cognito_calls": self.cognito_calls,
                "read_units": round(self.read_units, 2), "write_units_billed": self.write_units,
                "mails": self.mails,
                "usd_per_request": {k: round(v, 9) for k, v in self.per_request_usd(memory_mb).items()}}


def memory_mb() -> int:
    """The functions' configured memory (.chalice/config.json, prod stage): what Lambda bills."""
    from bench.environment import ROOT

    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    return int(config["stages"]["prod"].get("lambda_memory_size", 128))


def _measure_route(stage: Stage, route: str, share: int, auth: str) -> RouteCost:
    from app import app
    from bench.calls import warm_caches
    from bench.cpu import _event
    from bench.dynamo import counting
    from bench.writes import recording, tables

    result = RouteCost(route, share)
    outbox = {name for name, table in tables().items() if table.logical == "outbox"}
    totals = {"calls": 0.0, "cognito": 0.0, "reads": 0.0, "writes": 0.0, "mails": 0.0}
    try:
        app(_event(stage, route, auth)[0], None)  # this route's code loaded, as in a warm container
        for _ in range(RUNS):
            event, expect = _event(stage, route, auth)
            warm_caches()
            with counting() as calls, recording() as writes:
                started = time.thread_time()
                status = app(event, None)["statusCode"]
                result.cpu_ms.append((time.thread_time() - started) * 1000)
            if status != expect:
                raise RuntimeError(f"answered {status}, expected {expect}")
            totals["calls"] += calls.total
            totals["cognito"] += sum(calls.cognito.values())
            totals["reads"] += calls.billed_read_units
            totals["writes"] += writes.summary()["billed_units"]
            totals["mails"] += sum(1 for item in writes.items if item.table in outbox and item.old is None)
    except Exception as error:
        result.problem = f"{type(error).__name__}: {error}"[:200]
        return result
    result.calls, result.cognito_calls = totals["calls"] / RUNS, totals["cognito"] / RUNS
    result.read_units, result.write_units = totals["reads"] / RUNS, totals["writes"] / RUNS
    result.mails = totals["mails"] / RUNS
    return result


def measure(stage: Stage) -> tuple[list[RouteCost], int]:
    from bench.cpu import behind_api_gateway
    from chalicelib.routes.api import OPERATIONS

    auth_of = {f"{op.method} {op.path}": op.auth for op in OPERATIONS}
    memory = memory_mb()
    with behind_api_gateway(), contextlib.redirect_stdout(io.StringIO()):
        results = [_measure_route(stage, route, share, auth_of.get(route, "public")) for route, share in MIX.items()]
    return results, memory


def per_million(results: list[RouteCost], memory: int) -> dict[str, float]:
    """USD per million requests of the mix, by service."""
    total_share = sum(r.share for r in results)
    by_service: dict[str, float] = {}
    for r in results:
        for service, usd in r.per_request_usd(memory).items():
            by_service[service] = by_service.get(service, 0.0) + usd * 1e6 * r.share / total_share
    return by_service
