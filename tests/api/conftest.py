"""Fixtures of the API tests."""

import pytest

from tests.api.tickets_fixtures import helpdesk  # noqa: F401  (a fixture: pytest finds it here)


@pytest.fixture
def source_ip(monkeypatch):
    """`source_ip("203.0.113.7")`: the address API Gateway reports as the caller
    (`requestContext.identity.sourceIp`) from now on in this test."""
    from chalice.local import LambdaEventConverter

    def use(address: str) -> None:
        monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", address)

    return use
