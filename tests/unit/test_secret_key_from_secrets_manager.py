"""PORTICO_SECRET_KEY_ARN: stages deployed with `chalice deploy` read the key from Secrets Manager."""

from __future__ import annotations

import pytest

from chalicelib import aws, config


@pytest.mark.usefixtures("aws_stack")
def test_the_secret_key_is_read_from_secrets_manager_when_only_its_arn_is_given(monkeypatch):
    arn = aws.client("secretsmanager").create_secret(Name="portico-prod-secret-key",
                                                     SecretString="s3cr3t-from-the-vault")["ARN"]
    monkeypatch.delenv("PORTICO_SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTICO_SECRET_KEY_ARN", arn)
    monkeypatch.setenv("PORTICO_STAGE", "prod")
    config.reset()
    try:
        assert config.get_config().secret_key == b"s3cr3t-from-the-vault"
    finally:
        monkeypatch.undo()
        config.reset()


def test_an_explicit_key_wins_over_the_secret_arn(monkeypatch):
    monkeypatch.setenv("PORTICO_SECRET_KEY", "explicit")
    monkeypatch.setenv("PORTICO_SECRET_KEY_ARN", "arn:aws:secretsmanager:us-east-1:000000000000:secret:never-read")
    config.reset()
    try:
        assert config.get_config().secret_key == b"explicit"
    finally:
        monkeypatch.undo()
        config.reset()
