"""Agent routes need a Cognito ID token that the app itself verifies: Chalice's local
server and test client only decode tokens, so signature, expiry, issuer, audience and
token_use are checked by us. Permissions come from Cognito groups."""

from __future__ import annotations

import time

import pytest
from joserfc.jwk import RSAKey

from tests.tokens import mint


def test_a_real_cognito_login_reaches_agent_routes(api, admin_token):
    answer = api.get("/agent/settings", token=admin_token)
    assert answer.status == 200
    assert answer.json["portal_enabled"] is True


def test_a_missing_token_is_401(api):
    answer = api.get("/agent/settings")
    assert answer.status == 401
    assert answer.code == "unauthorized"


@pytest.mark.parametrize("garbage", ["garbage", "Bearer", "a.b.c", "x" * 5000, "....", "eyJhbGciOiJub25lIn0.e30."])
def test_a_garbage_authorization_header_is_401_not_500(api, garbage):
    answer = api.get("/agent/settings", token=garbage)
    assert answer.status == 401
    assert answer.code == "unauthorized"


def test_a_forged_token_signed_by_another_key_is_401(api):
    stranger = RSAKey.generate_key(2048)
    assert api.get("/agent/settings", token=mint(key=stranger)).status == 401


def test_a_token_whose_claims_were_altered_after_signing_is_401(api, agent_token):
    import base64
    import json

    header, payload, signature = agent_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["cognito:groups"] = ["admins"]
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    answer = api.patch("/agent/settings", {"self_signup": True}, token=f"{header}.{forged_payload}.{signature}")
    assert answer.status == 401


@pytest.mark.parametrize("claim_overrides", [
    {"exp": int(time.time()) - 60},
    {"aud": "some-other-app-client"},
    {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"},
    {"token_use": "access"},
    {"exp": None},
], ids=["expired", "wrong-audience", "wrong-issuer", "access-token", "no-expiry"])
def test_a_correctly_signed_token_with_a_wrong_claim_is_401(api, claim_overrides):
    assert api.get("/agent/settings", token=mint(**claim_overrides)).status == 401


def test_a_correctly_signed_valid_token_is_accepted(api):
    assert api.get("/agent/settings", token=mint()).status == 200


def test_an_unknown_key_id_is_401(api):
    assert api.get("/agent/settings", token=mint(kid="rotated-away")).status == 401


def test_bearer_prefix_is_accepted(api, admin_token):
    assert api.get("/agent/settings", token=f"Bearer {admin_token}").status == 200


def test_a_missing_permission_is_403_forbidden(api, agent_token):
    answer = api.patch("/agent/settings", {"self_signup": True}, token=agent_token)
    assert answer.status == 403
    assert answer.code == "forbidden"


def test_manage_clients_is_not_enough_to_change_settings(api, agents):
    token = agents.token("clients-manager@helpdesk.test", ["manage-clients"])
    assert api.patch("/agent/settings", {"self_signup": True}, token=token).status == 403
    assert api.post("/agent/organizations", {"name": "Allowed Inc"}, token=token).status == 201
