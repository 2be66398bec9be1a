"""Cognito groups become permissions through one helper, whatever shape the claim has."""

from __future__ import annotations

import pytest

from chalicelib import config
from chalicelib.errors import Unauthorized
from chalicelib.identity import ActingAgent as Agent
from chalicelib.services.agent_auth import authenticate_agent, normalize_groups


@pytest.mark.parametrize("claim, expected", [
    (["admins", "view-reports"], {"admins", "view-reports"}),  # decoded JWT (chalice local, tests)
    ("admins,view-reports", {"admins", "view-reports"}),  # API Gateway authorizer context
    ("[admins view-reports]", {"admins", "view-reports"}),
    ("[admins, view-reports]", {"admins", "view-reports"}),
    ("manage-tickets", {"manage-tickets"}),
    (None, set()),
    ("", set()),
    ([], set()),
])
def test_groups_claim_is_normalised(claim, expected):
    assert normalize_groups(claim) == expected


def test_super_users_can_do_everything_others_only_their_groups():
    admin = Agent("a", None, frozenset({"admins"}))
    reporter = Agent("r", None, frozenset({"view-reports"}))
    assert admin.can("manage-clients") and admin.can("view-reports")
    assert reporter.can("view-reports") and not reporter.can("manage-clients")


def test_gateway_claims_are_trusted_only_inside_lambda(monkeypatch):
    claims = {"cognito:username": "alice", "cognito:groups": "admins"}
    with pytest.raises(Unauthorized):
        authenticate_agent(None, claims)  # chalice local / test client: a token is required
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "portico-dev")
    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.11")
    config.reset()
    try:
        agent = authenticate_agent(None, claims)
        assert agent.username == "alice" and agent.is_admin
    finally:
        monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME")
        config.reset()
