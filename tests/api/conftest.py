"""Fixtures of the API tests."""

from tests.api.tickets_fixtures import helpdesk  # noqa: F401  (a fixture: pytest finds it here)
