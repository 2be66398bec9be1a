"""devtools/create_admin.py: the first admin of a deployed stage, through Cognito's admin API."""

from __future__ import annotations

import base64
import json
import re

import pytest

from devtools import create_admin, stack


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_the_created_admin_can_sign_in_and_is_in_the_admins_group(aws_stack, capsys):
    assert create_admin.main(["--user-pool-id", aws_stack.user_pool_id, "--email", "ops@example.com"]) == 0
    password = re.search(r"password \(shown once\): (\S+)", capsys.readouterr().out).group(1)

    token = stack.agent_id_token(aws_stack, "ops@example.com", password)
    assert claims(token)["cognito:groups"] == ["admins"]


def test_generated_passwords_meet_the_pool_policy():
    for _ in range(50):
        password = create_admin.generated_password()
        assert len(password) >= 12
        assert re.search("[a-z]", password) and re.search("[A-Z]", password)
        assert re.search("[0-9]", password) and re.search("[^A-Za-z0-9]", password)


def test_an_unknown_group_is_refused_before_anything_is_created(aws_stack):
    with pytest.raises(SystemExit):
        create_admin.main(["--user-pool-id", aws_stack.user_pool_id, "--email", "x@example.com", "--groups", "root"])
