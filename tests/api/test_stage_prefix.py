"""Deployed on an execute-api URL, the portal lives under the stage: /api/portal. The page's
links and the session cookie must follow that prefix, or the browser never sends the cookie
back (a cookie for Path=/portal does not reach /api/portal/me) and every client is logged
out right after logging in."""

from __future__ import annotations

import pytest
from chalice.local import LambdaEventConverter


def _requests_arrive_under(monkeypatch, prefix: str) -> None:
    """From now on requests arrive as API Gateway delivers them under `prefix` (on
    https://<id>.execute-api.../api/... the prefix is the stage): the route is /portal/...,
    `requestContext.path` carries the prefix."""
    original = LambdaEventConverter.create_lambda_event

    def prefixed(self, method, path, headers, body=None):
        event = original(self, method, path, headers, body)
        event["requestContext"]["path"] = prefix + event["requestContext"]["path"]
        return event

    monkeypatch.setattr(LambdaEventConverter, "create_lambda_event", prefixed)


@pytest.fixture
def under_stage(monkeypatch):
    _requests_arrive_under(monkeypatch, "/api")


def _cookie_path(set_cookie: str) -> str:
    attributes = dict(part.strip().partition("=")[::2] for part in set_cookie.split(";"))
    return attributes["Path"]


def test_locally_the_session_cookie_is_scoped_to_the_portal(portal):
    portal.active_client("local@example.com")
    answer = portal.login("local@example.com")
    assert answer.status == 200
    assert _cookie_path(answer.headers["set-cookie"]) == "/portal"


def test_under_a_stage_the_session_cookie_and_the_page_follow_the_prefix(portal, api, under_stage):
    portal.active_client("staged@example.com")
    login = portal.login("staged@example.com")
    assert login.status == 200
    assert _cookie_path(login.headers["set-cookie"]) == "/api/portal"
    # Logging out clears the same cookie (a different Path would leave the old one in place).
    session = login.headers["set-cookie"].split(";")[0]
    logout = api.post("/portal/logout", headers={"Cookie": session, "X-Requested-With": "portico"})
    assert logout.status == 204
    assert _cookie_path(logout.headers["set-cookie"]) == "/api/portal"
    page = api.get("/portal", headers={"Accept": "text/html"})
    assert 'href="/api/portal/static/portal.css"' in page.body.decode()


def test_a_prefix_that_is_not_a_plain_path_is_ignored(api, monkeypatch):
    _requests_arrive_under(monkeypatch, '/x"><script>')
    page = api.get("/portal", headers={"Accept": "text/html"}).body.decode()
    assert "<script>" not in page and 'href="/portal/static/portal.css"' in page
