"""Cold start: the time to import app.py in a fresh interpreter against a bare Chalice app
with the same base stack, and the peak memory of a cold handler process serving one request.

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
from dataclasses import dataclass
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
    env = _child_env({"AWS_LAMBDA_FUNCTION_NAME": "portico-bench", "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
                      "POWERTOOLS_LOG_LEVEL": "ERROR"})
    out = subprocess.run([sys.executable, "-c", SERVE_ONE], cwd=ROOT, env=env, input=json.dumps({"event": event}),
                         capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims API Gateway would pass after verifying this Cognito ID token."""
    import base64

    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
