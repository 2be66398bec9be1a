"""Every request is logged as structured JSON with its request id and cold-start flag."""

from __future__ import annotations

import io
import json
import logging


def test_requests_are_logged_as_json_with_request_id_and_cold_start(api, admin_token):
    from chalicelib.observability import logger

    log = logger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(log.registered_formatter)
    log.addHandler(handler)
    previous = log.log_level
    log.setLevel("INFO")
    try:
        api.get("/agent/settings", token=admin_token)
    finally:
        log.setLevel(previous)
        log.removeHandler(handler)
    records = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    request_logs = [r for r in records if r.get("message") == "request"]
    assert request_logs, records
    entry = request_logs[-1]
    assert entry["status"] == 200 and "cold_start" in entry and entry.get("request_id")
    assert entry["route"] == "GET /agent/settings"
    assert "Authorization" not in json.dumps(records) and admin_token not in json.dumps(records)
