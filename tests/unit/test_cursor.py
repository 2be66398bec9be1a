"""Cursors reveal nothing and are valid only for the list (binding) they were issued for."""

from __future__ import annotations

import base64
import json

import pytest

from chalicelib.cursor import decode_cursor, encode_cursor
from chalicelib.errors import InvalidInput

REQUESTER = "01JREQUESTER0000000000000A"
ORGANIZATION = "01JORGANIZATION00000000000"
AT = "2025-03-14T09:26:53.589793Z"
LAST_KEY = {"requester_id": {"S": REQUESTER}, "organization_id": {"S": ORGANIZATION},
            "client_activity": {"S": f"{AT}#000042"}, "number": {"N": "42"}}
BINDING = json.dumps(["GET /portal/tickets", {}, f"client:{REQUESTER}", {"scope": "mine", "status": None}])


def _decoded(cursor: str) -> bytes:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def test_a_cursor_contains_no_key_material():
    cursor = encode_cursor(BINDING, LAST_KEY)
    raw = _decoded(cursor)
    for secret in (REQUESTER, ORGANIZATION, AT, "2025-03-14", "000042", "requester_id", "client_activity"):
        for form in (secret.encode(), base64.b64encode(secret.encode())[:8]):
            assert form not in raw and form.decode() not in cursor, secret
    assert decode_cursor(BINDING, cursor) == LAST_KEY


def test_the_same_position_gives_a_different_cursor_each_time():
    assert encode_cursor(BINDING, LAST_KEY) != encode_cursor(BINDING, LAST_KEY)


def test_a_cursor_is_refused_for_another_binding_or_when_altered():
    cursor = encode_cursor(BINDING, LAST_KEY)
    other_filter = BINDING.replace('"status": null', '"status": "open"')
    raw = bytearray(_decoded(cursor))
    raw[-1] ^= 1
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    for binding, bad in ((other_filter, cursor), (BINDING, tampered), (BINDING, cursor[:20]), (BINDING, "%%%")):
        with pytest.raises(InvalidInput) as refused:
            decode_cursor(binding, bad)
        assert refused.value.fields == {"cursor": "invalid cursor"}


def test_a_cursor_made_under_another_secret_is_refused(monkeypatch):
    from chalicelib import config

    cursor = encode_cursor(BINDING, LAST_KEY)
    monkeypatch.setenv("PORTICO_SECRET_KEY", "another-stage-secret-0123456789")
    config.reset()
    try:
        with pytest.raises(InvalidInput):
            decode_cursor(BINDING, cursor)
    finally:
        monkeypatch.undo()
        config.reset()
    assert decode_cursor(BINDING, cursor) == LAST_KEY
