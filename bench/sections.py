"""Each part of `make bench` turns its measurements into table rows."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from bench.report import ERROR, INFO, NOT_IN_APP, NOT_MEASURED, OK, OVER, Row, verdict


def calls_rows(local: Any, sizes: list[int]) -> list[Row]:
    from bench.calls import MEASURED, measure_all
    from bench.calls import NOT_IN_APP as ROUTE_NOT_IN_APP
    from bench.stage import Stage

    rows = []
    results = measure_all(Stage(local.api, local.agents), settings_expired=True)
    scans = [table for r in results if r.calls for table in r.calls.scans]
    for r in results:
        if r.state == MEASURED and r.calls is not None:
            state = ERROR if r.problem else verdict(r.ok)
            detail = f"{r.calls.summary()}; items read {r.calls.items_read}"
            expired = "-" if r.expired is None else str(r.expired.total)
            if r.expired is not None:
                detail += f"; settings expired: {r.expired.summary()}"
            elif r.expired_problem:
                detail += f"; settings expired: {r.expired_problem}"
            if r.problem:
                detail = f"{r.problem}; {detail}"
            elif r.note:
                detail = f"{detail} ({r.note})"
            rows.append(Row("dynamodb calls", r.route, f"{r.calls.total} / {expired}", f"≤ {r.budget}", state,
                            detail, r.as_dict()))
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
    measured = [r for r in results if r.state == MEASURED and r.calls is not None and not r.problem]
    local.calls_results = measured  # the hot-key part reads what these requests wrote
    return rows + cognito_rows(measured) + write_unit_rows(measured)


def cognito_rows(results: list[Any]) -> list[Row]:
    """The routes that call Cognito, with the quota each call counts against."""
    from bench.cognito import describe

    rows = []
    for r in results:
        if not r.calls.cognito:
            continue
        detail, ceiling = describe(r.calls.cognito)
        if ceiling is not None:
            detail += f"; alone, these quotas cap the route at ~{ceiling:g} requests/s per account and Region"
        rows.append(Row("cognito calls", r.route, str(sum(r.calls.cognito.values())), "report (quota)", INFO,
                        detail, {"operations": dict(r.calls.cognito), "ceiling_per_second": ceiling}))
    return rows


def write_unit_rows(results: list[Any]) -> list[Row]:
    """Items each writing route writes, index entries included, and their write units."""
    rows = []
    for r in results:
        if r.writes is None:
            continue
        summary = r.writes.summary()
        if not summary["items"]:
            continue
        delivery = r.delivery.summary() if r.delivery is not None else None
        indexes = ", ".join(f"{name} {units}" for name, units in sorted(
            summary["index_units_by_index"].items(), key=lambda kv: -kv[1])[:6])
        tables = ", ".join(f"{name} {units}" for name, units in summary["base_units_by_table"].items())
        detail = (f"request: {summary['items']} items + {summary['index_entries']} index entries = "
                  f"{summary['writes']} writes, {summary['units']} WU (billed {summary['billed_units']}: "
                  f"transactional items twice); items by table: {tables}; index entries: {indexes or 'none'}")
        items, writes, units, billed = summary["items"], summary["writes"], summary["units"], summary["billed_units"]
        if delivery and delivery["items"]:
            detail += (f"; delivering its mail: {delivery['items']} item writes + {delivery['index_entries']} index "
                       f"entries = {delivery['writes']} writes, {delivery['units']} WU")
            items, writes = items + delivery["items"], writes + delivery["writes"]
            units, billed = units + delivery["units"], billed + delivery["billed_units"]
        data = {"request": summary, "delivery": delivery, "items": items, "writes": writes, "units": units,
                "billed_units": billed}
        rows.append(Row("write units", r.route, f"{units} WU / {writes} writes", "report", INFO, detail, data))
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


def hotkey_rows(local: Any, sizes: list[int]) -> list[Row]:
    from bench.hotkeys import SEED_ROWS, measure

    indexes, seeded = measure(local, getattr(local, "calls_results", None))
    rows = []
    for keys in indexes:
        routes = ", ".join(f"{route} {n}" for route, n in keys.routes.most_common(4))
        detail = (f"key `{keys.hash_key}`: {len(keys.seed_keys)} in the growth seed ({keys.seed_entries:,} entries), "
                  f"{len(keys.request_keys)} in the scenarios' writes; written by {routes}")
        if keys.hot and not keys.ok:
            detail = "every write to this index lands on one partition (≤ 1,000 WU/s in all); " + detail
        budget = "> 1 (write-hot)" if keys.hot else "report"
        rows.append(Row("hot keys", keys.name, str(keys.distinct), budget,
                        verdict(keys.ok) if keys.hot else INFO, detail, keys.as_dict()))
    rows.append(Row("hot keys", "growth seed", f"{SEED_ROWS:,} rows", "-", INFO,
                    "tables seeded: " + ", ".join(seeded) + "; write-hot: written by a route of the cost mix"))
    return rows


def cost_rows(local: Any, sizes: list[int]) -> list[Row]:
    from bench.costs import MIX, PRICES, ROUND_TRIP_MS, measure, per_million
    from bench.stage import Stage

    results, memory = measure(Stage(local.api, local.agents))
    rows = []
    for r in results:
        if r.problem:
            rows.append(Row("cost per million", r.route, "-", "report", ERROR, r.problem, r.as_dict(memory)))
            continue
        usd = sum(r.per_request_usd(memory).values()) * 1e6
        detail = (f"{r.share} % of the mix; CPU {statistics.median(r.cpu_ms):.1f} ms → {r.duration_ms(memory):.0f} ms "
                  f"at {memory} MB; {r.calls:g} DynamoDB calls, {r.read_units:g} RRU, {r.write_units:g} WRU billed, "
                  f"{r.mails:g} mails")
        rows.append(Row("cost per million", r.route, f"${usd:,.2f}", "report", INFO, detail, r.as_dict(memory)))
    by_service = per_million(results, memory)
    total = sum(by_service.values())
    detail = "; ".join(f"{name} ${usd:,.2f}" for name, usd in by_service.items())
    prices = ", ".join(f"{k} {v:g}" for k, v in PRICES.items())
    rows.append(Row("cost per million", f"the mix ({len(MIX)} routes, shares in each row)",
                    f"${total:,.2f}", "report", INFO,
                    f"{detail}; prices (USD, us-east-1 on-demand): {prices}; {ROUND_TRIP_MS:g} ms per AWS call",
                    {"usd_per_million_by_service": by_service, "prices": PRICES, "memory_mb": memory,
                     "mix": MIX, "round_trip_ms": ROUND_TRIP_MS}))
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
    rows = [Row("cold start", "import app.py / bare app", f"{times.ratio:.2f}x", f"≤ {limit:g}x",
                verdict(times.ratio <= limit), detail, times.as_dict())]
    return [*rows, first_requests_row(local, limit)]


def first_requests_row(local: Any, limit: float) -> Row:
    """What Lambda pays: the import plus the first requests, against the bare app doing the same."""
    from bench.coldstart import FIRST_REQUESTS, first_requests
    from bench.stage import Stage

    first = first_requests(Stage(local.api, local.agents))
    data = first.as_dict()
    detail = (f"median {data['app_like_for_like_median_ms']:.0f} ms against {data['bare_median_ms']:.0f} ms with the "
              f"app's DynamoDB round trips at the bare app's latency; as measured {data['app_median_ms']:.0f} ms "
              f"({first.raw_ratio:.2f}x), of which {data['app_stand_in_median_ms']:.0f} ms waiting for the local "
              f"stand-in "
              f"(moto) against the bare app's {data['bare_stand_in_median_ms']:.0f} ms "
              f"(import {data['app_import_median_ms']:.0f} / {data['bare_import_median_ms']:.0f} ms), "
              f"{len(first.app_seconds)} runs each, alternating; requests: "
              + ", ".join(f"{route} ({calls} calls) {app_ms:.0f} / {bare_ms:.0f} ms" for route, calls, app_ms, bare_ms
                          in zip(FIRST_REQUESTS, first.calls, data["app_request_median_ms"],
                                 data["bare_request_median_ms"], strict=True))
              + "; the bare app makes as many GetItems per request")
    expected = [201 if route.startswith("POST") else 200 for route in FIRST_REQUESTS]
    if first.statuses != expected:
        return Row("cold start", "import + first requests / bare app", f"{first.ratio:.2f}x", f"≤ {limit:g}x",
                   ERROR, f"answered {first.statuses}, expected {expected}; {detail}", data)
    return Row("cold start", "import + first requests / bare app", f"{first.ratio:.2f}x", f"≤ {limit:g}x",
               verdict(first.ratio <= limit), detail, data)


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
        "search": search_rows, "hotkeys": hotkey_rows, "cost": cost_rows, "mail-in": mail_in_rows}
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
