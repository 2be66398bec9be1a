"""Each part of `make bench` turns its measurements into table rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.report import ERROR, INFO, NOT_IN_APP, NOT_MEASURED, OK, OVER, Row, verdict


def calls_rows(local: Any, sizes: list[int]) -> list[Row]:
    from bench.calls import MEASURED, measure_all
    from bench.calls import NOT_IN_APP as ROUTE_NOT_IN_APP
    from bench.stage import Stage

    rows = []
    results = measure_all(Stage(local.api, local.agents))
    scans = [table for r in results if r.calls for table in r.calls.scans]
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
    rows.append(Row("dynamodb calls", "Scan (any measured request)", str(len(scans)), "0", verdict(not scans),
                    ", ".join(scans) or "and none in app.py or chalicelib/ (tests/unit/test_call_budgets.py)"))
    return rows


def growth_rows(local: Any, sizes: list[int]) -> list[Row]:
    from bench.growth import measure
    from bench.stage import Stage

    local.reset()  # only the seeded rows in the tables
    try:
        results = measure(Stage(local.api, local.agents), sizes)
    finally:
        local.reset()  # moto copies whole tables in transactions: later parts need small ones
    rows = []
    for result in results:
        if not result.available:
            rows.append(Row("items read vs table", result.spec.name, "-", "flat", NOT_IN_APP,
                            f"needs {result.spec.requires or result.spec.name.split('?')[0]}"))
            continue
        per_size = "; ".join(f"{n:,} rows: {c.total} calls, {c.items_read} read, ~{c.read_units:g} RCU"
                             for n, c in result.by_size.items())
        value = " / ".join(str(c.items_read) for c in result.by_size.values()) or "-"
        state = ERROR if result.problems and not result.by_size else verdict(result.ok)
        detail = "; ".join([*result.problems, per_size]) + (f" ({result.spec.note})" if result.spec.note else "")
        budget = "flat at " + " / ".join(f"{n:,}" for n in sorted(sizes))
        if result.spec.reads is not None:
            budget = f"= {result.spec.bound or 'expected'}: " + " / ".join(
                str(result.spec.reads(n)) for n in sorted(sizes))
        rows.append(Row("items read vs table", result.spec.name, value, budget, state, detail, result.as_dict()))
    if not rows:
        rows.append(Row("items read vs table", "list routes", "-", "flat", NOT_MEASURED, "no @growth spec"))
    return rows


def coldstart_rows(local: Any, sizes: list[int]) -> list[Row]:
    from bench.budgets import budgets
    from bench.coldstart import import_times

    limit = float(budgets()["cold_start_ratio"])
    times = import_times()
    detail = (f"median import: app.py {times.app_median * 1000:.0f} ms, bare Chalice+boto3 client+PynamoDB model "
              f"{times.bare_median * 1000:.0f} ms ({len(times.app_seconds)} runs each, alternating); "
              f"without creating the client the bare app takes {times.imports_only_median * 1000:.0f} ms "
              f"(ratio {times.app_median / times.imports_only_median:.2f}x)")
    return [Row("cold start", "import app.py / bare app", f"{times.ratio:.2f}x", f"≤ {limit:g}x",
                verdict(times.ratio <= limit), detail, times.as_dict())]


MEMORY_ROUTES = ("GET /agent/organizations", "POST /portal/login", "GET /portal/tickets", "POST /portal/tickets",
                 "POST /agent/tickets/{number}/notes")


def memory_rows(local: Any, sizes: list[int]) -> list[Row]:
    import json

    from bench.budgets import budgets
    from bench.coldstart import api_gateway_event, serve_one_cold, unverified_claims
    from bench.scenarios import SCENARIOS
    from bench.stage import Stage
    from chalicelib.routes.api import OPERATIONS

    limit = float(budgets()["cold_handler_peak_rss_mb"])
    auth_of = {f"{op.method} {op.path}": op.auth for op in OPERATIONS}
    stage = Stage(local.api, local.agents)
    rows = []
    for route in MEMORY_ROUTES:
        if route not in SCENARIOS or route not in auth_of:
            continue
        request = SCENARIOS[route](stage)
        # As the portal page sends them (the public POSTs refuse a request without X-Requested-With).
        headers = {"content-type": "application/json", "accept": "application/json", "user-agent": "bench",
                   "x-requested-with": "portico",
                   **{k.lower(): v for k, v in request.headers.items()}}
        claims = None
        if request.token:
            headers["authorization"] = request.token
            claims = unverified_claims(request.token) if auth_of[route] == "agent" else None
        event = api_gateway_event(route, request.path, headers=headers,
                                  body=json.dumps(request.json) if request.json is not None else None, claims=claims)
        served = serve_one_cold(event)
        peak_mb = served["peak_rss_kb"] / 1024
        ok = peak_mb <= limit and served["status"] == request.expect
        detail = f"a fresh process imports app.py and serves one request: answered {served['status']}"
        rows.append(Row("cold handler memory", route, f"{peak_mb:.0f} MB", f"≤ {limit:g} MB",
                        verdict(ok) if served["status"] == request.expect else ERROR, detail, served))
    return rows


def package_rows(local: Any, sizes: list[int]) -> list[Row]:
    from bench.budgets import budgets
    from bench.package import MB, build

    limit = float(budgets()["package_zip_mb"])
    package = build()
    top = ", ".join(f"{name} {size / MB:.1f}" for name, size, _ in package.contributors[:6])
    data = {"zips": package.zips, "total_bytes": package.total,
            "contributors": [{"name": n, "compressed": c, "uncompressed": u} for n, c, u in package.contributors]}
    return [Row("deployment package", "chalice package zip", f"{package.total / MB:.1f} MB", f"≤ {limit:g} MB",
                verdict(package.total <= limit * MB), f"biggest (MB compressed): {top}", data)]


def portal_rows(local: Any, sizes: list[int]) -> list[Row]:
    from bench.budgets import budgets
    from bench.portal import first_load

    limit_kb = float(budgets()["portal_first_load_kb"])
    requests = first_load(local.api)
    total = sum(size for _, _, size in requests)
    detail = ", ".join(f"{path} {size / 1024:.1f}" for path, _, size in requests) + " (KB incl. headers)"
    return [Row("portal weight", "log-in page first load", f"{total / 1024:.1f} KB", f"≤ {limit_kb:g} KB",
                verdict(total <= limit_kb * 1024), detail,
                {"bytes": total, "requests": [{"path": p, "status": s, "bytes": b} for p, s, b in requests]})]


def cpu_rows(local: Any, sizes: list[int]) -> list[Row]:
    from bench.cpu import measure
    from bench.stage import Stage

    rows = []
    for result in measure(Stage(local.api, local.agents)):
        if result.problem:
            rows.append(Row("cpu per request", result.route, "-", "report", ERROR, result.problem, result.as_dict()))
            continue
        packages = ", ".join(f"{name} {share:.0%}" for name, share in result.by_package[:4])
        top = "; ".join(f"{name} {share:.0%}" for name, share in result.top_app[:3])
        rows.append(Row("cpu per request", result.route, f"{result.median_ms:.1f} ms", "report", INFO,
                        f"self time: {packages}; app code incl. callees: {top}", result.as_dict()))
    return rows


def timing_rows(local: Any, sizes: list[int]) -> list[Row]:
    from bench.budgets import budgets
    from bench.stage import Stage
    from bench.timing import measure

    limit = float(budgets()["anonymous_timing_ratio"])
    rows = []
    for result in measure(Stage(local.api, local.agents)):
        if result.problem:
            rows.append(Row("anonymous door timing", result.route, "-", f"≤ {limit:g}x", ERROR, result.problem,
                            result.as_dict()))
            continue
        detail = (f"median existing address {result.existing_median:.1f} ms, unknown {result.unknown_median:.1f} ms "
                  f"({len(result.existing_ms)} tries each, alternating)")
        rows.append(Row("anonymous door timing", result.route, f"{result.ratio:.2f}x", f"≤ {limit:g}x",
                        verdict(result.ratio <= limit), detail, result.as_dict()))
    return rows


def search_rows(local: Any, sizes: list[int]) -> list[Row]:
    """The knowledge base's search engine at 500 and 5,000 articles of ~1,000 words."""
    from bench.budgets import budgets
    from bench.search import measure

    limits = budgets()["search"]
    rows = []
    for articles in (500, 5000):
        result = measure(articles)
        size = (f"index {result.blob_bytes / 1024 / 1024:.2f} MB in {result.chunks} items, "
                f"loads in {result.load_ms:.0f} ms")
        # The verdict is on the slowest query's median CPU, not one run a neighbour slowed.
        repeats = len(result.runs) // max(1, len(result.cpu_ms))
        cpu = (f"median of {len(result.runs)} runs ({len(result.cpu_ms)} queries, each run {repeats} times); "
               f"slowest query's median {result.worst_ms:.1f} ms, slowest run {result.slowest_run_ms:.1f} ms")
        rows.append(Row("search", f"search CPU, {articles:,} articles", f"{result.median_ms:.1f} ms",
                        f"≤ {limits['cpu_ms']:g} ms", verdict(result.worst_ms <= limits["cpu_ms"]),
                        f"{cpu}; {size}", result.as_dict()))
        rows.append(Row("search", f"publish one article, {articles:,} articles", f"{result.publish_ms:.0f} ms",
                        f"≤ {limits['publish_seconds']:g} s",
                        verdict(result.publish_ms <= limits["publish_seconds"] * 1000),
                        "index change + compressed blob, CPU; the writes add one BatchWriteItem per 25 items",
                        result.as_dict()))
    return rows


def mail_in_rows(local: Any, sizes: list[int]) -> list[Row]:
    """Per inbound reply: one S3 read, DynamoDB calls within budget, CPU for 100 KB."""
    from bench.budgets import budgets
    from bench.mail_in import MESSAGE_BYTES, measure
    from bench.stage import Stage

    limits = budgets()["mail_in"]
    result = measure(Stage(local.api, local.agents))
    broken = [o for o in result.outcomes if o != "note"]
    state = ERROR if broken else None
    worst_calls, worst_reads = max(result.dynamodb_calls), max(result.s3_reads)
    data = result.as_dict()
    return [
        Row("mail in", "S3 GetObject per reply", str(worst_reads), f"= {limits['s3_get_object']}",
            state or verdict(set(result.s3_reads) == {limits["s3_get_object"]}),
            f"{len(result.s3_reads)} replies" + (f"; outcomes {broken}" if broken else ""), data),
        Row("mail in", "DynamoDB calls per reply", str(worst_calls), f"≤ {limits['dynamodb_calls']}",
            state or verdict(worst_calls <= limits["dynamodb_calls"]), result.operations, data),
        Row("mail in", f"handler CPU per {MESSAGE_BYTES // 1024} KB reply", f"{result.median_cpu_ms:.1f} ms",
            f"≤ {limits['cpu_ms_per_100kb']:g} ms",
            state or verdict(result.median_cpu_ms <= limits["cpu_ms_per_100kb"]),
            f"median of {len(result.cpu_ms)}, worst {max(result.cpu_ms):.1f} ms: parse, strip quoted history, the "
            "note's writes (moto's work excluded)", data),
    ]


def run_parts(local: Any, parts: list[str], sizes: list[int]) -> list[Row]:
    registry: dict[str, Callable[[Any, list[int]], list[Row]]] = {
        "calls": calls_rows, "growth": growth_rows, "coldstart": coldstart_rows, "memory": memory_rows,
        "package": package_rows, "portal": portal_rows, "cpu": cpu_rows, "timing": timing_rows,
        "search": search_rows, "mail-in": mail_in_rows}
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
