"""Cold start: the time to import app.py in a fresh interpreter against a bare Chalice app
with the same base stack; what Lambda pays (the import plus the first requests a new
container serves, as the app defers boto3, pydantic and Powertools to first use) against the
bare app serving as many requests with as many DynamoDB calls; and the peak memory of a cold
handler process serving one request.

The first requests' DynamoDB calls go to the local stand-in (moto), whose answer time is its
Python's, not DynamoDB's: a 25-item Query takes it ~100 ms and a transaction ~40 ms, a GetItem
~5 ms. The verdict counts the app's round trips at the bare app's GetItem latency (as many
calls each); the wall time as measured and the stand-in's share are reported beside it.

Both run in child processes with the bench's environment. Imports use the compiled bytecode
cache (warmed first), as a Lambda package with .pyc files would; interpreter start-up itself
is not counted (only the import, timed inside the child).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.environment import ROOT

# The baseline: what any Chalice + DynamoDB function imports and builds at module level.
BARE_APP = '''
import boto3
from chalice import Chalice
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

app = Chalice(app_name="bare")
dynamodb = boto3.client("dynamodb")


class Item(Model):
    class Meta:
        table_name = "bare-items"
        region = "us-east-1"

    id = UnicodeAttribute(hash_key=True)


@app.route("/items/{item_id}")
def get_item(item_id):
    return Item.get(item_id).attribute_values
'''

# For context only: the same without creating the client (import cost alone).
BARE_IMPORTS_ONLY = BARE_APP.replace('dynamodb = boto3.client("dynamodb")', "")

TIMED_IMPORT = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


@dataclass
class ImportTimes:
    app_seconds: list[float]
    bare_seconds: list[float]
    imports_only_seconds: list[float]

    @property
    def app_median(self) -> float:
        return statistics.median(self.app_seconds)

    @property
    def bare_median(self) -> float:
        return statistics.median(self.bare_seconds)

    @property
    def ratio(self) -> float:
        return self.app_median / self.bare_median

    @property
    def imports_only_median(self) -> float:
        return statistics.median(self.imports_only_seconds)

    def as_dict(self) -> dict[str, Any]:
        return {"ratio": round(self.ratio, 3), "app_median_ms": round(self.app_median * 1000, 1),
                "bare_median_ms": round(self.bare_median * 1000, 1), "runs_each": len(self.app_seconds),
                "bare_without_client_median_ms": round(self.imports_only_median * 1000, 1),
                "ratio_to_bare_without_client": round(self.app_median / self.imports_only_median, 3),
                "app_ms": [round(s * 1000, 1) for s in self.app_seconds],
                "bare_ms": [round(s * 1000, 1) for s in self.bare_seconds]}


def _child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(extra or {})
    return env


# What a Lambda container's environment tells the app (bench/cpu.py sets it in-process too).
LAMBDA_ENV = {"AWS_LAMBDA_FUNCTION_NAME": "portico-bench", "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13"}


def _run_as_lambda(script: str, cwd: Path, spec: dict[str, Any], *, timeout: int,
                   extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `script` in a fresh interpreter with a Lambda environment (Powertools quiet), `spec`
    as JSON on its stdin; its last line of output, parsed."""
    env = _child_env({**LAMBDA_ENV, "POWERTOOLS_LOG_LEVEL": "ERROR", **(extra_env or {})})
    out = subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, input=json.dumps(spec),
                         capture_output=True, text=True, timeout=timeout, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _time_import(module: str, cwd: Path) -> float:
    out = subprocess.run([sys.executable, "-c", TIMED_IMPORT.format(module=module)], cwd=cwd, env=_child_env(),
                         capture_output=True, text=True, timeout=120, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def import_times(runs: int = 15) -> ImportTimes:
    """Alternate app and bare imports so that machine noise hits both alike."""
    with tempfile.TemporaryDirectory(prefix="bench-bare-") as tmp:
        bare_dir = Path(tmp)
        (bare_dir / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
        (bare_dir / "bare_imports.py").write_text(BARE_IMPORTS_ONLY, encoding="utf-8")
        for module, cwd in (("app", ROOT), ("bare_app", bare_dir), ("bare_imports", bare_dir)):
            _time_import(module, cwd)  # warm the bytecode caches
        times = ImportTimes([], [], [])
        for _ in range(runs):
            times.app_seconds.append(_time_import("app", ROOT))
            times.bare_seconds.append(_time_import("bare_app", bare_dir))
            times.imports_only_seconds.append(_time_import("bare_imports", bare_dir))
        return times


# A cold Lambda container: import the app, serve one API Gateway event, report peak RSS.
# Peak RSS is VmHWM (this process's own high-water mark): getrusage's ru_maxrss would carry the
# parent's peak over the fork/exec and report the bench's memory instead of the handler's.
SERVE_ONE = '''
import json, sys
spec = json.loads(sys.stdin.read())
import app
response = app.app(spec["event"], None)
status = open("/proc/self/status").read().split("VmHWM:")[1].split()
print(json.dumps({"status": response.get("statusCode"), "peak_rss_kb": int(status[0])}))
'''


def api_gateway_event(route: str, path: str, *, headers: dict[str, str], body: str | None,
                      claims: dict[str, Any] | None) -> dict[str, Any]:
    """A REST API proxy event like API Gateway sends (Cognito claims when authorised)."""
    method, resource = route.split(" ", 1)
    path_only, _, query = path.partition("?")
    params = dict(_path_params(resource, path_only))
    query_params = dict(pair.split("=", 1) if "=" in pair else (pair, "") for pair in query.split("&") if pair)
    context: dict[str, Any] = {"resourcePath": resource, "httpMethod": method, "path": path_only,
                               "requestId": "bench-cold", "identity": {"sourceIp": "198.51.100.7"},
                               "stage": "api"}
    if claims:
        context["authorizer"] = {"claims": claims}
    return {"resource": resource, "path": path_only, "httpMethod": method, "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": query_params or None,
            "multiValueQueryStringParameters": {k: [v] for k, v in query_params.items()} or None,
            "pathParameters": params or None, "stageVariables": None, "requestContext": context,
            "body": body, "isBase64Encoded": False}


def _path_params(resource: str, path: str) -> list[tuple[str, str]]:
    pairs = []
    for template, actual in zip(resource.split("/"), path.split("/"), strict=False):
        if template.startswith("{") and template.endswith("}"):
            pairs.append((template[1:-1], actual))
    return pairs


def serve_one_cold(event: dict[str, Any]) -> dict[str, Any]:
    """Serve `event` in a fresh interpreter as Lambda would (behind API Gateway's authorizer)."""
    return _run_as_lambda(SERVE_ONE, ROOT, {"event": event}, timeout=120)


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims API Gateway would pass after verifying this Cognito ID token."""
    import base64

    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


# --- import plus the first requests, as a new Lambda container pays them -------------------

# What a new container typically serves first: a client's list, their new ticket and reply
# (as the page sends them, with an Idempotency-Key), an agent's queue.
FIRST_REQUESTS = ("GET /portal/tickets", "POST /portal/tickets", "POST /portal/tickets/{number}/notes",
                  "GET /agent/tickets")
BARE_TABLE = "bench-bare-items"

# The bare app doing the same: one route that makes as many DynamoDB calls (GetItem) as the
# app's request did, parses the body and answers JSON.
BARE_SERVING_APP = '''
import json, os
import boto3
from chalice import Chalice
from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

app = Chalice(app_name="bare")
dynamodb = boto3.client("dynamodb", endpoint_url=os.environ.get("PORTICO_AWS_ENDPOINT_URL"))


class Item(Model):
    class Meta:
        table_name = "BARE_TABLE"
        region = os.environ.get("AWS_REGION", "us-east-1")
        host = os.environ.get("PORTICO_AWS_ENDPOINT_URL")

    id = UnicodeAttribute(hash_key=True)
    body = UnicodeAttribute(null=True)


@app.route("/work/{calls}", methods=["GET", "POST"])
def work(calls):
    body = app.current_request.json_body or {}
    found = []
    for n in range(int(calls)):
        try:
            found.append(Item.get(f"item-{n}").body)
        except DoesNotExist:
            found.append(None)
    return {"found": found, "echo": body}
'''.replace("BARE_TABLE", BARE_TABLE)

# Times the import, then each event; the DynamoDB call counter (bench/dynamo.py) and the
# stand-in wait clock are hooked in between, outside both timings. The wait clock is the HTTP
# round trip to the local DynamoDB stand-in (moto): what its Python takes to answer, which is
# not what DynamoDB takes (moto builds a Query's answer item by item, ~3 ms each, and copies
# the tables for a TransactWriteItems; DynamoDB answers either in a few ms).
SERVE_FIRST = '''
import json, sys, time
spec = json.loads(sys.stdin.read())
started = time.perf_counter()
module = __import__(spec["module"])
imported = time.perf_counter() - started
from bench import dynamo
dynamo.install()
import botocore.endpoint
waited = [0.0]
send = botocore.endpoint.Endpoint._send
def timed_send(self, request):
    started = time.perf_counter()
    try:
        return send(self, request)
    finally:
        waited[0] += time.perf_counter() - started
botocore.endpoint.Endpoint._send = timed_send
served = []
for event in spec["events"]:
    with dynamo.counting() as calls:
        waited[0] = 0.0
        started = time.perf_counter()
        answer = module.app(event, None)
        took = time.perf_counter() - started
    served.append({"status": answer.get("statusCode"), "seconds": took, "calls": calls.total,
                   "stand_in_seconds": waited[0]})
print(json.dumps({"import_seconds": imported, "requests": served}))
'''


@dataclass
class FirstRequests:
    app_seconds: list[float]  # import plus the first requests, per run
    bare_seconds: list[float]
    app_import_seconds: list[float]
    bare_import_seconds: list[float]
    calls: list[int]  # the app's DynamoDB calls per first request (the bare app makes as many)
    statuses: list[int]
    app_request_seconds: list[list[float]] = field(default_factory=list)  # per run, per request
    bare_request_seconds: list[list[float]] = field(default_factory=list)
    # Per run: the time spent waiting for the local DynamoDB stand-in, over all the requests.
    app_stand_in_seconds: list[float] = field(default_factory=list)
    bare_stand_in_seconds: list[float] = field(default_factory=list)

    def request_medians_ms(self, runs: list[list[float]]) -> list[float]:
        return [round(statistics.median(column) * 1000, 1) for column in zip(*runs, strict=True)] if runs else []

    @property
    def like_for_like_seconds(self) -> list[float]:
        """The app's runs with its DynamoDB round trips at the bare app's latency (the same run's
        wait for as many calls): the stand-in's time to answer a 25-item Query or a transaction
        is moto's, not Lambda's; the app's own work (parsing the answers included) stays."""
        return [app - app_wait + bare_wait for app, app_wait, bare_wait
                in zip(self.app_seconds, self.app_stand_in_seconds, self.bare_stand_in_seconds, strict=True)]

    @property
    def ratio(self) -> float:
        """The verdict's ratio: like for like (see like_for_like_seconds)."""
        return statistics.median(self.like_for_like_seconds) / statistics.median(self.bare_seconds)

    @property
    def raw_ratio(self) -> float:
        """Wall time as measured here, the stand-in's answers included."""
        return statistics.median(self.app_seconds) / statistics.median(self.bare_seconds)

    def as_dict(self) -> dict[str, Any]:
        return {"ratio": round(self.ratio, 3), "raw_ratio": round(self.raw_ratio, 3), "requests": list(FIRST_REQUESTS),
                "calls_per_request": self.calls, "statuses": self.statuses,
                "app_like_for_like_median_ms": round(statistics.median(self.like_for_like_seconds) * 1000, 1),
                "app_median_ms": round(statistics.median(self.app_seconds) * 1000, 1),
                "app_stand_in_median_ms": round(statistics.median(self.app_stand_in_seconds) * 1000, 1),
                "bare_stand_in_median_ms": round(statistics.median(self.bare_stand_in_seconds) * 1000, 1),
                "bare_median_ms": round(statistics.median(self.bare_seconds) * 1000, 1),
                "app_import_median_ms": round(statistics.median(self.app_import_seconds) * 1000, 1),
                "bare_import_median_ms": round(statistics.median(self.bare_import_seconds) * 1000, 1),
                "app_request_median_ms": self.request_medians_ms(self.app_request_seconds),
                "bare_request_median_ms": self.request_medians_ms(self.bare_request_seconds),
                "app_ms": [round(x * 1000, 1) for x in self.app_seconds],
                "bare_ms": [round(x * 1000, 1) for x in self.bare_seconds]}


def _serve_first(module: str, cwd: Path, events: list[dict[str, Any]]) -> dict[str, Any]:
    return _run_as_lambda(SERVE_FIRST, cwd, {"module": module, "events": events}, timeout=180,
                          extra_env={"PYTHONPATH": str(ROOT)})


def _bare_table() -> None:
    from chalicelib import aws

    dynamodb = aws.client("dynamodb")
    if BARE_TABLE not in dynamodb.list_tables()["TableNames"]:
        dynamodb.create_table(TableName=BARE_TABLE, BillingMode="PAY_PER_REQUEST",
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                              KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
        dynamodb.put_item(TableName=BARE_TABLE, Item={"id": {"S": "item-0"}, "body": {"S": "x" * 500}})


def first_requests(stage: Any, runs: int = 7) -> FirstRequests:
    """Alternating fresh processes: the app serving FIRST_REQUESTS (each run with new
    scenarios, so creates are creates), then the bare app serving as many requests with as
    many DynamoDB calls each."""
    from bench.cpu import _event
    from chalicelib.routes.api import OPERATIONS

    auth_of = {f"{op.method} {op.path}": op.auth for op in OPERATIONS}
    _bare_table()
    result = FirstRequests([], [], [], [], [], [])
    with tempfile.TemporaryDirectory(prefix="bench-bare-") as tmp:
        bare_dir = Path(tmp)
        (bare_dir / "bare_serving.py").write_text(BARE_SERVING_APP, encoding="utf-8")
        for run in range(runs + 1):  # the first run warms the bytecode caches and is not counted
            events = [_event(stage, route, auth_of[route])[0] for route in FIRST_REQUESTS]
            app_run = _serve_first("app", ROOT, events)
            calls = [r["calls"] for r in app_run["requests"]]
            bare_events = [api_gateway_event("POST /work/{calls}", f"/work/{n}",
                                             headers={"content-type": "application/json"},
                                             body=event.get("body") or "{}", claims=None)
                           for n, event in zip(calls, events, strict=True)]
            bare_run = _serve_first("bare_serving", bare_dir, bare_events)
            if run == 0:
                continue
            result.calls, result.statuses = calls, [r["status"] for r in app_run["requests"]]
            result.app_import_seconds.append(app_run["import_seconds"])
            result.bare_import_seconds.append(bare_run["import_seconds"])
            result.app_request_seconds.append([r["seconds"] for r in app_run["requests"]])
            result.bare_request_seconds.append([r["seconds"] for r in bare_run["requests"]])
            result.app_seconds.append(app_run["import_seconds"] + sum(r["seconds"] for r in app_run["requests"]))
            result.bare_seconds.append(bare_run["import_seconds"] + sum(r["seconds"] for r in bare_run["requests"]))
            result.app_stand_in_seconds.append(sum(r["stand_in_seconds"] for r in app_run["requests"]))
            result.bare_stand_in_seconds.append(sum(r["stand_in_seconds"] for r in bare_run["requests"]))
    return result
