"""Every POST that creates something honours `Idempotency-Key` (api.md): a retry with the same
key returns the first answer and creates nothing new; the same key on another request is 409.
(Tickets and notes: tests/api/test_ratings.py.)"""

from __future__ import annotations


def _twice(api, path: str, body: dict, token: str, key: str = "retry-1", status: int = 201):
    headers = {"Idempotency-Key": key}
    first = api.post(path, body, token=token, headers=headers)
    again = api.post(path, body, token=token, headers=headers)
    assert first.status == again.status == status, (first.json, again.json)
    assert first.json == again.json
    return first


def test_a_retried_organization_create_creates_one_organization(api, admin_token):
    _twice(api, "/agent/organizations", {"name": "Acme"}, admin_token)
    names = [o["name"] for o in api.get("/agent/organizations", token=admin_token).json["items"]]
    assert names == ["Acme"]
    other = api.post("/agent/organizations", {"name": "Initech"}, token=admin_token,
                     headers={"Idempotency-Key": "retry-1"})
    assert other.status == 409 and other.code == "conflict"


def test_a_retried_client_create_invites_once(api, admin_token, outbox):
    body = {"email": "ada@acme.test", "send_invitation": True}
    created = _twice(api, "/agent/clients", body, admin_token)
    assert created.json["email"] == "ada@acme.test"
    assert len(outbox.messages("portal-welcome", "ada@acme.test")) == 1
    # Without the key the same request is a second create, refused as the email is taken.
    assert api.post("/agent/clients", body, token=admin_token).code == "conflict"


def test_keys_are_per_caller(api, agents, admin_token):
    other_agent = agents.token("second@helpdesk.test", ["manage-clients"])
    _twice(api, "/agent/organizations", {"name": "Acme"}, admin_token, key="same")
    answer = api.post("/agent/organizations", {"name": "Globex"}, token=other_agent,
                      headers={"Idempotency-Key": "same"})
    assert answer.status == 201 and answer.json["name"] == "Globex"


def test_a_retried_colleague_invite_invites_once(api, admin_token, portal, outbox):
    org = api.post("/agent/organizations", {"name": "Acme"}, token=admin_token).json
    _, session = portal.active_client("boss@acme.test", organization_id=org["id"], role="client_admin")
    # 202: the same answer for every address (issue 13).
    _twice(api, "/portal/organization/clients", {"email": "new@acme.test", "name": "New"}, portal.bearer(session),
           status=202)
    listed = api.get("/portal/organization/clients", token=portal.bearer(session)).json["items"]
    assert [c["email"] for c in listed].count("new@acme.test") == 1
    assert len(outbox.messages("portal-welcome", "new@acme.test")) == 1


def test_an_in_progress_key_is_bounded_by_the_invocations_deadline(api, admin_token):
    """A create cut off by the Lambda timeout must not block retries for the record's whole day."""
    import boto3

    from chalicelib import config

    _twice(api, "/agent/organizations", {"name": "Acme"}, admin_token)
    dynamodb = boto3.client("dynamodb", region_name=config.aws_region(), endpoint_url=config.aws_endpoint_url())
    records = dynamodb.scan(TableName=config.table_name("idempotency"))["Items"]
    assert len(records) == 1
    assert "in_progress_expiration" in records[0]


IDEMPOTENT = {("post", "/agent/organizations"), ("post", "/agent/clients"), ("post", "/agent/tickets"),
              ("post", "/agent/tickets/{number}/notes"), ("post", "/portal/tickets"),
              ("post", "/portal/tickets/{number}/notes"), ("post", "/portal/organization/clients"),
              ("post", "/portal/uploads"), ("post", "/agent/uploads"), ("post", "/agent/kb/articles"),
              ("post", "/agent/assets"), ("post", "/agent/imports")}


def test_the_openapi_document_lists_the_header_exactly_where_it_is_honoured(api):
    from chalicelib.services.idempotency import MAX_KEY_LENGTH

    paths = api.get("/openapi.json").json["paths"]
    documented = {}
    for path, methods in paths.items():
        for method, operation in methods.items():
            for parameter in operation["parameters"]:
                if parameter["name"] == "Idempotency-Key":
                    documented[(method, path)] = parameter
    assert set(documented) == IDEMPOTENT
    for parameter in documented.values():
        assert parameter["in"] == "header" and parameter["required"] is False
        assert parameter["schema"]["maxLength"] == MAX_KEY_LENGTH == 200


def test_a_key_longer_than_the_documented_limit_is_400(api, admin_token):
    for key, status in (("k" * 201, 400), ("k" * 200, 201)):
        answer = api.post("/agent/organizations", {"name": f"Acme {status}"}, token=admin_token,
                          headers={"Idempotency-Key": key})
        assert answer.status == status, answer.json
