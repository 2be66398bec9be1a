"""What every route does the same way: error format, bad bodies, security headers,
the portal page, and the OpenAPI document."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_400(api, admin_token, body):
    answer = api.request("POST", "/agent/organizations", token=admin_token, body=body)
    assert answer.status == 400
    assert answer.code == "validation_error"
    assert answer.json["message"]


def test_a_wrong_content_type_still_gets_our_error_format(api, admin_token):
    answer = api.request("POST", "/agent/organizations", token=admin_token, body=b'{"name": "Typed"}',
                         headers={"Content-Type": "text/plain"})
    assert answer.status == 201
    odd = api.request("POST", "/agent/organizations", token=admin_token, body=b"<x/>",
                      headers={"Content-Type": "application/xml"})
    assert odd.status == 415 and set(odd.json) == {"code", "message"}


def test_an_oversized_body_is_400(api, admin_token):
    answer = api.post("/agent/organizations", {"name": "Big", "notes": "x" * 300_000}, token=admin_token)
    assert answer.status == 400


def test_api_answers_carry_security_headers(api, admin_token):
    answer = api.get("/agent/settings", token=admin_token)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["content-type"].startswith("application/json")


def test_the_portal_page_is_html_with_a_strict_policy(api):
    answer = api.get("/portal")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/html")
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert b"<html" in answer.body


def test_unknown_portal_assets_are_404(api):
    assert api.get("/portal/static/..%2Fapp.py").status == 404
    assert api.get("/portal/static/nope.js").code == "not_found"


def test_openapi_documents_every_registered_route_and_is_valid(api):
    from chalicelib.routes.api import OPERATIONS

    document = api.get("/openapi.json").json
    validate(document)
    assert document["openapi"].startswith("3.1")
    for operation in OPERATIONS:
        assert operation.method.lower() in document["paths"][operation.path], operation.path
    create = document["paths"]["/agent/organizations"]["post"]
    schema_name = create["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "name" in document["components"]["schemas"][schema_name]["properties"]
