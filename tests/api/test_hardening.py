"""Hardening every response shares: security headers (errors, the portal page and its assets
included), HSTS only over https, the 256 KB request body limit on every route, and a bound on
how deeply a JSON body may nest."""

from __future__ import annotations

import json
import logging

import pytest

from chalicelib.routes.api import MAX_BODY_BYTES

COMMON = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def _assert_hardened(answer, what):
    for name, value in COMMON.items():
        assert answer.headers.get(name) == value, f"{what}: {name} is {answer.headers.get(name)!r}"
    csp = answer.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, f"{what}: CSP {csp!r}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, f"{what}: CSP {csp!r}"
    assert "strict-transport-security" not in answer.headers, f"{what}: HSTS over plain http"


@pytest.fixture
def portal_asset(api):
    """The first asset the portal page links."""
    import re

    page = api.get("/portal").body.decode()
    return re.search(r'(/portal/static/[^"]+)', page).group(1)


def test_every_kind_of_answer_carries_the_security_headers(api, admin_token, agent_token, portal_asset):
    answers = {
        "agent 200": api.get("/agent/settings", token=admin_token),
        "agent 401": api.get("/agent/settings"),
        "agent 403": api.patch("/agent/settings", {"self_signup": True}, token=agent_token),
        "agent 404": api.get("/agent/organizations/nope", token=admin_token),
        "bad JSON 400": api.request("POST", "/agent/organizations", token=admin_token, body=b"{"),
        "415": api.request("POST", "/agent/organizations", token=admin_token, body=b"<x/>",
                           headers={"Content-Type": "application/xml"}),
        "405": api.request("PUT", "/agent/settings", token=admin_token, body=b"{}"),
        "portal 401": api.get("/portal/me"),
        "public 400": api.post("/portal/login", {"email": 1}),
        "portal page": api.get("/portal"),
        "portal asset": api.get(portal_asset),
        "missing asset 404": api.get("/portal/static/missing.css"),
        "openapi": api.get("/openapi.json"),
    }
    for what, answer in answers.items():
        assert answer.status != 500, what
        _assert_hardened(answer, f"{what} ({answer.status})")


def test_the_portal_page_policy_allows_only_its_own_files(api, portal_asset):
    csp = api.get("/portal").headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    # Attachments: the files bucket's origin, nothing wider (uploads and thumbnails).
    from chalicelib.services.attachments import bucket_origin

    assert directives["connect-src"] == f"'self' {bucket_origin()}" and directives["base-uri"] == "'none'"
    assert directives["img-src"] == f"'self' data: {bucket_origin()}"
    assert directives["form-action"] == "'self'"
    assert api.get(portal_asset).headers["content-security-policy"] == csp
    # The API's JSON answers allow nothing at all.
    assert api.get("/openapi.json").headers["content-security-policy"].startswith("default-src 'none'")


def test_hsts_only_when_the_request_came_over_https(api, admin_token):
    https = api.get("/agent/settings", token=admin_token, headers={"X-Forwarded-Proto": "https"})
    assert https.headers["strict-transport-security"].startswith("max-age=")
    assert int(https.headers["strict-transport-security"].split("=")[1].split(";")[0]) >= 31536000
    page = api.get("/portal", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" in page.headers
    plain = api.get("/agent/settings", token=admin_token, headers={"X-Forwarded-Proto": "http"})
    assert "strict-transport-security" not in plain.headers


@pytest.mark.parametrize("method, path, auth", [
    ("POST", "/agent/organizations", "agent"),       # a route that reads a body
    ("POST", "/portal/logout", None),                # a route that ignores its body
    ("POST", "/portal/login", None),                 # public, before any password hashing
    ("PATCH", "/agent/settings", "agent"),
])
def test_a_body_over_256_kb_is_400_on_every_route(api, admin_token, method, path, auth):
    body = json.dumps({"name": "x" * MAX_BODY_BYTES}).encode()
    assert len(body) > MAX_BODY_BYTES
    answer = api.request(method, path, token=admin_token if auth else None, body=body)
    assert answer.status == 400 and answer.code == "validation_error"
    assert answer.json["fields"] == {"body": "too large"}
    assert "256 KB" in answer.json["message"]
    _assert_hardened(answer, "oversized")


def test_a_body_of_exactly_256_kb_is_not_refused_for_its_size(api, admin_token):
    padding = MAX_BODY_BYTES - len(json.dumps({"name": "Big", "notes": ""}).encode())
    body = json.dumps({"name": "Big", "notes": "x" * padding}).encode()
    assert len(body) == MAX_BODY_BYTES
    answer = api.request("POST", "/agent/organizations", token=admin_token, body=body)
    assert answer.status == 400 and "body" not in answer.json["fields"]  # notes is too long, that is all
    assert "notes" in answer.json["fields"]


def test_ids_dynamodb_cannot_hold_are_unknown_ids_not_server_errors(api, admin_token):
    # Found by the OpenAPI fuzzing: an empty organization id was a DynamoDB ValidationException.
    answer = api.post("/agent/clients", {"email": "e@acme.test", "organization_id": "", "send_invitation": False},
                      token=admin_token)
    assert answer.status == 400 and "organization_id" in answer.json["fields"]
    huge = "x" * 3000
    assert api.get(f"/agent/clients/{huge}", token=admin_token).status == 404
    assert api.get(f"/agent/organizations/{huge}", token=admin_token).status == 404


def test_every_route_behind_the_portal_gates_documents_their_403(api):
    from chalicelib.routes.api import OPERATIONS

    document = api.get("/openapi.json").json
    gated = [op for op in OPERATIONS if op.auth in ("public", "portal")]
    assert gated
    for operation in gated:
        responses = document["paths"][operation.path][operation.method.lower()]["responses"]
        assert "403" in responses, f"{operation.method} {operation.path} can answer portal_blocked"
    assert "256 KB" in document["info"]["description"]


@pytest.mark.parametrize("depth", [65, 1_000, 100_000])
@pytest.mark.parametrize("method, path, auth", [
    ("POST", "/portal/login", None),             # public: no log-in needed to send it
    ("POST", "/agent/organizations", "agent"),
])
def test_deeply_nested_json_is_400_and_logs_no_stack_trace(api, admin_token, caplog, method, path, auth, depth):
    caplog.set_level(logging.INFO)
    for body in (b"[" * depth, b'{"email": ' + b"[" * depth + b"]" * depth + b"}"):
        answer = api.request(method, path, token=admin_token if auth else None, body=body)
        assert answer.status == 400 and answer.code == "validation_error", (depth, answer.status)
        assert answer.json["fields"] == {"body": "nested too deeply"}
    assert not [record for record in caplog.records if record.exc_info], "a stack trace was logged"
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text


def test_brackets_inside_strings_do_not_count_as_nesting(api, admin_token):
    body = json.dumps({"name": "Brackets", "notes": '[{"\\' * 200}).encode()
    assert api.request("POST", "/agent/organizations", token=admin_token, body=body).status == 201
    nested = json.dumps({"name": "Nested", "notes": "x"}).replace('"x"', "[" * 63 + "]" * 63)  # 64 with the object
    answer = api.request("POST", "/agent/organizations", token=admin_token, body=nested.encode())
    assert answer.status == 400 and "notes" in answer.json["fields"]  # within the limit: parsed, then refused
