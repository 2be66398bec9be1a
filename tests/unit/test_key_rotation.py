"""A rotation of the stage's secret (docs/operations.md, "Rotate the secret key") through what
the functions receive (PORTICO_SECRET_KEY, PORTICO_SECRET_KEY_VERSION, PORTICO_OLDER_SECRET_KEYS,
read by chalicelib/config.py): what was sealed under version N is still read once N+1 is
current and N is listed as older, and only then."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib import config
from chalicelib.models.users import UserModel
from chalicelib.services import devices, mfa

OLD_SECRET = "a1" * 32
NEW_SECRET = "b2" * 32
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def deploy(monkeypatch):
    """Set the functions' key environment as a deploy would, and read it again."""
    def with_keys(secret: str, version: int, older: str = "") -> None:
        monkeypatch.setenv("PORTICO_SECRET_KEY", secret)
        monkeypatch.setenv("PORTICO_SECRET_KEY_VERSION", str(version))
        monkeypatch.setenv("PORTICO_OLDER_SECRET_KEYS", older)
        config.reset()

    yield with_keys
    monkeypatch.undo()
    config.reset()


def enrolled_client(deploy) -> tuple[UserModel, str, str]:
    """A client whose TOTP secret and remembered device were sealed under version 1."""
    deploy(OLD_SECRET, 1)
    item = UserModel(id="cli_rotation", password_changed_at=datetime(2026, 1, 5, tzinfo=UTC), device_epoch=0)
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    item.totp_secret, item.totp_key_version = mfa._seal(item.id, secret)
    cookie, _ = devices.issue(item, now=NOW)
    assert item.totp_key_version == 1 and cookie.split(".")[1] == "1"
    return item, secret, cookie


def totp_code(secret: str) -> str:
    import pyotp

    return pyotp.TOTP(secret, digits=6, interval=mfa.TOTP_STEP).at(NOW)


def test_after_rotating_to_n_plus_1_with_n_listed_as_older_both_are_still_read(deploy):
    item, secret, cookie = enrolled_client(deploy)
    deploy(NEW_SECRET, 2, older=f"1={OLD_SECRET}")
    assert mfa._totp_step(item, totp_code(secret), NOW) is not None
    assert devices.remembered(item, cookie, now=NOW)
    # What is sealed now is sealed under version 2, with the new secret.
    assert mfa._seal(item.id, secret)[1] == 2
    assert devices.issue(item, now=NOW)[0].split(".")[1] == "2"


def test_without_the_old_secret_listed_they_are_unreadable(deploy):
    item, secret, cookie = enrolled_client(deploy)
    deploy(NEW_SECRET, 2)
    assert mfa._totp_step(item, totp_code(secret), NOW) is None
    assert not devices.remembered(item, cookie, now=NOW)
    # A secret listed under the wrong number is no better.
    deploy(NEW_SECRET, 2, older=f"1={NEW_SECRET}")
    assert mfa._totp_step(item, totp_code(secret), NOW) is None
    assert not devices.remembered(item, cookie, now=NOW)


def test_the_release_before_the_switch_reads_what_the_next_one_seals(deploy):
    """The rotation's first deploy lists the next version before it is current, so that during
    the canary (and after a rollback) the previous release reads what the new one seals."""
    deploy(NEW_SECRET, 2, older=f"1={OLD_SECRET}")
    item = UserModel(id="cli_next", password_changed_at=datetime(2026, 1, 5, tzinfo=UTC), device_epoch=0)
    secret = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
    item.totp_secret, item.totp_key_version = mfa._seal(item.id, secret)
    cookie, _ = devices.issue(item, now=NOW)
    deploy(OLD_SECRET, 1, older=f"2={NEW_SECRET}")
    assert mfa._totp_step(item, totp_code(secret), NOW) is not None
    assert devices.remembered(item, cookie, now=NOW)
