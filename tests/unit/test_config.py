"""Deploy-time settings: read in chalicelib/config.py only, checked on first use, and a value the
app cannot use fails naming its variable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import config


@pytest.fixture
def fresh_config(monkeypatch):
    config.reset()
    yield monkeypatch
    monkeypatch.undo()
    config.reset()


def test_session_hours_and_argon2_profile_come_from_the_environment(fresh_config):
    fresh_config.setenv("PORTICO_SESSION_HOURS", "8")
    fresh_config.setenv("PORTICO_ARGON2_PROFILE", "fast")
    settings = config.get_config()
    assert settings.session_ttl == timedelta(hours=8) and settings.argon2_profile == "fast"


def test_defaults_when_unset(fresh_config):
    fresh_config.delenv("PORTICO_SESSION_HOURS", raising=False)
    fresh_config.delenv("PORTICO_ARGON2_PROFILE", raising=False)
    settings = config.get_config()
    assert settings.session_ttl == timedelta(hours=12) and settings.argon2_profile == "default"


@pytest.mark.parametrize(("name", "value"), [
    ("PORTICO_SESSION_HOURS", "twelve"), ("PORTICO_SESSION_HOURS", "0"), ("PORTICO_SESSION_HOURS", "1.5"),
    ("PORTICO_ARGON2_PROFILE", "quick"), ("PORTICO_SETTINGS_CACHE_SECONDS", "-1"),
    ("PORTICO_SETTINGS_CACHE_SECONDS", "soon"),
])
def test_a_bad_value_fails_at_first_use_naming_its_variable(fresh_config, name, value):
    fresh_config.setenv(name, value)
    with pytest.raises(config.ConfigurationError, match=name):
        config.get_config()


def test_import_time_values_need_no_full_config(monkeypatch):
    monkeypatch.delenv("PORTICO_USER_POOL_ARN", raising=False)
    monkeypatch.delenv("PORTICO_OUTBOX_STREAM_ARN", raising=False)
    monkeypatch.setenv("PORTICO_STAGE", "prod")  # no secret key: a full Config would fail
    monkeypatch.delenv("PORTICO_SECRET_KEY", raising=False)
    assert config.user_pool_arn() == config.USER_POOL_ARN_PLACEHOLDER
    assert config.outbox_stream_arn() == config.OUTBOX_STREAM_ARN_PLACEHOLDER
    pool = "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_abc"
    monkeypatch.setenv("PORTICO_USER_POOL_ARN", pool)
    assert config.user_pool_arn() == pool


def test_log_level(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "debug")
    assert config.log_level() == "DEBUG"
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "LOUD")
    with pytest.raises(config.ConfigurationError, match="POWERTOOLS_LOG_LEVEL"):
        config.log_level()


def test_the_attachments_bucket_is_an_s3_name_or_fails_naming_its_variable(monkeypatch):
    monkeypatch.setenv("PORTICO_STAGE", "dev")
    monkeypatch.delenv("PORTICO_ATTACHMENTS_BUCKET", raising=False)
    assert config.attachments_bucket() == "portico-dev-attachments"
    monkeypatch.setenv("PORTICO_ATTACHMENTS_BUCKET", "portico-prod-filesbucket-1a2b3c")
    assert config.attachments_bucket() == "portico-prod-filesbucket-1a2b3c"
    # The name reaches the page's CSP: nothing that could widen it is accepted.
    monkeypatch.setenv("PORTICO_ATTACHMENTS_BUCKET", "files; script-src *")
    with pytest.raises(config.ConfigurationError, match="PORTICO_ATTACHMENTS_BUCKET"):
        config.attachments_bucket()


@pytest.mark.parametrize("value", ["0", "65", "two"])
def test_the_index_shard_count_is_a_whole_number_from_1_to_64(monkeypatch, value):
    from chalicelib import config

    monkeypatch.setenv("PORTICO_INDEX_SHARDS", value)
    with pytest.raises(config.ConfigurationError):
        config.index_shards()
    monkeypatch.setenv("PORTICO_INDEX_SHARDS", "16")
    assert config.index_shards() == 16
