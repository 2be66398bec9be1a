"""Reply addresses (services/reply_addresses.py): signed, bound to the mailbox they were issued
to, case-insensitive, still valid after a key rotation while the older secret is listed."""

from __future__ import annotations

import pytest

from chalicelib import config
from chalicelib.services import reply_addresses

CLIENT_ID = "01JD3KX8W9RYQ4T6V5B2N7M0PQ"


@pytest.fixture(autouse=True)
def fresh_config(monkeypatch):
    monkeypatch.setenv("PORTICO_INBOUND_DOMAIN", "in.helpdesk.test")
    monkeypatch.delenv("PORTICO_OLDER_SECRET_KEYS", raising=False)
    monkeypatch.delenv("PORTICO_SECRET_KEY_VERSION", raising=False)
    config.reset()
    yield
    config.reset()


def test_a_client_address_names_the_ticket_and_the_client_and_verifies_for_that_mailbox_only():
    address = reply_addresses.for_client(1042, CLIENT_ID, "Ana@Acme.test")
    local, domain = address.split("@")
    assert domain == "in.helpdesk.test" and local.startswith(f"reply+1042.c{CLIENT_ID.lower()}.1.")
    assert len(local) <= 64  # RFC 5321's limit for a local part
    token = reply_addresses.verify(address, "ana@acme.test")
    assert token == reply_addresses.ReplyToken(1042, "c", CLIENT_ID, internal=False)
    assert reply_addresses.verify(address.upper(), "ANA@ACME.TEST") == token
    assert reply_addresses.verify(address, "mallory@acme.test") is None


def test_agents_get_a_public_and_an_internal_variant():
    public = reply_addresses.for_agent(7, "bob@helpdesk.test")
    internal = reply_addresses.for_agent(7, "bob@helpdesk.test", internal=True)
    assert public.startswith("reply+7.a") and internal.startswith("note+7.a")
    assert reply_addresses.verify(public, "bob@helpdesk.test").internal is False
    assert reply_addresses.verify(internal, "Bob@Helpdesk.test").internal is True
    assert reply_addresses.verify(internal, "eve@helpdesk.test") is None


@pytest.mark.parametrize("tamper", [
    lambda a: a.replace("reply+1042.", "reply+1043."),          # another ticket
    lambda a: a.replace("reply+", "note+"),                     # a client's internal variant: never issued
    lambda a: a[:a.index("@") - 1] + ("a" if a[a.index("@") - 1] != "a" else "b") + a[a.index("@"):],
    lambda a: a.replace("@in.helpdesk.test", "@elsewhere.test"),
    lambda a: a.replace(".1.", ".2."),                          # a key version this stage does not hold
    lambda a: "reply+1042@in.helpdesk.test",
    lambda a: "",
])
def test_an_altered_or_foreign_address_is_refused(tamper):
    address = reply_addresses.for_client(1042, CLIENT_ID, "ana@acme.test")
    assert reply_addresses.verify(tamper(address), "ana@acme.test") is None


def test_an_address_signed_before_a_rotation_verifies_while_the_older_secret_is_listed(monkeypatch):
    monkeypatch.setenv("PORTICO_SECRET_KEY", "first-secret")
    config.reset()
    old = reply_addresses.for_client(5, CLIENT_ID, "ana@acme.test")
    monkeypatch.setenv("PORTICO_SECRET_KEY", "second-secret")
    monkeypatch.setenv("PORTICO_SECRET_KEY_VERSION", "2")
    monkeypatch.setenv("PORTICO_OLDER_SECRET_KEYS", "1=first-secret")
    config.reset()
    assert reply_addresses.verify(old, "ana@acme.test") is not None
    assert ".2." in reply_addresses.for_client(5, CLIENT_ID, "ana@acme.test")
    monkeypatch.delenv("PORTICO_OLDER_SECRET_KEYS")
    config.reset()
    assert reply_addresses.verify(old, "ana@acme.test") is None
