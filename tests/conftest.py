"""Shared fixtures. Tests run against a moto server on loopback (the same AWS stand-in
`make run` uses), reset before every test, with the app's real wiring on top."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The environment must be in place before chalicelib is imported (models read it).
os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    "PORTICO_STAGE": "test", "PORTICO_SETTINGS_CACHE_SECONDS": "0",
    "PORTICO_MAIL_SENDER": "support@portico.test", "PORTICO_AGENTS_EMAIL": "agents@portico.test",
    "PORTICO_PORTAL_URL": "http://portal.test/portal",
    "PORTICO_ARGON2_PROFILE": "fast",
    "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING",
})
os.environ.pop("AWS_LAMBDA_FUNCTION_NAME", None)
os.environ.pop("PORTICO_JWKS_URL", None)
MOTO_PORT = _free_port()
os.environ["PORTICO_AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{MOTO_PORT}"

import logging  # noqa: E402

import pytest  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402


def _serialise_moto_dynamodb_writes() -> None:
    """DynamoDB applies each conditional write atomically; moto's server evaluates the
    condition and writes without a lock, so two concurrent requests can both pass a
    condition only one would pass in AWS. One lock around moto's writes restores the
    guarantee that claims, counters and unique guards rely on (concurrency tests need it)."""
    import functools
    import threading

    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        original = getattr(DynamoDBBackend, name)

        @functools.wraps(original)
        def locked(*args, __original=original, **kwargs):
            with lock:
                return __original(*args, **kwargs)

        setattr(DynamoDBBackend, name, locked)


_serialise_moto_dynamodb_writes()
_server = ThreadedMotoServer(ip_address="127.0.0.1", port=MOTO_PORT, verbose=False)
_server.start()
logging.getLogger("werkzeug").setLevel(logging.WARNING)

from devtools import chalice_local, stack  # noqa: E402

chalice_local.harden()

from tests.support import AgentFactory, Api, Clock, Mailbox, Outbox, Portal  # noqa: E402


def pytest_sessionfinish(session, exitstatus):
    _server.stop()


@pytest.fixture(autouse=True)
def aws_stack():
    """A fresh AWS (tables, mail, Cognito pool) for every test."""
    yield stack.fresh(os.environ["PORTICO_AWS_ENDPOINT_URL"], timeout=10)


@pytest.fixture
def app():
    from app import app as chalice_app

    return chalice_app


@pytest.fixture
def api(app):
    from chalice.test import Client

    # The "local" stage sets no environment variables: the test's own environment stands.
    with Client(app, stage_name="local", project_dir=str(ROOT)) as client:
        yield Api(client)


@pytest.fixture
def agents(aws_stack):
    return AgentFactory(aws_stack)


@pytest.fixture
def admin_token(agents):
    return agents.token("admin@helpdesk.test", ["admins"])


@pytest.fixture
def agent_token(agents):
    """An agent with no extra group: may read and write notes, nothing more."""
    return agents.token("agent@helpdesk.test", [])


@pytest.fixture
def mailbox(aws_stack):
    """What SES sent in this test and `mailbox.deliver()` to run delivery now (see tests/support.py)."""
    box = Mailbox(os.environ["PORTICO_AWS_ENDPOINT_URL"])
    yield box
    box.close()


@pytest.fixture
def outbox():
    """The emails queued so far (what delivery will send), newest last."""
    return Outbox()


@pytest.fixture
def clock(monkeypatch):
    """Move the app's time: `clock.advance(days=3)`."""
    return Clock(monkeypatch)


@pytest.fixture
def portal(api, agents, outbox):
    """Drives client accounts end to end: agents create and invite, clients activate."""
    return Portal(api, agents.token("clients-admin@helpdesk.test", ["manage-clients"]), outbox)
