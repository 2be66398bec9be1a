"""Shared fixtures. Tests that use AWS run against a moto server on loopback (the same AWS
stand-in `make run` uses), as fresh as new for every test, with the app's real wiring on top.

The stand-in is there only for tests that ask for it: the fixture `aws_stack`, directly or
through `api`, `agents`, `mailbox`, `outbox`, `portal` (or the browser's `page`). A test that
reaches moto without it fails and says so. Each test process builds the tables, templates and
pool once, then restores that state in-process before every test that uses it, and checks it
is whole: a test that finds it broken fails at setup naming the tests that ran before it."""

from __future__ import annotations

import os
import socket
import sys
import tempfile
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
# moto's request recorder appends every request to ./moto_recording when enabled: off, and
# pointed out of the tree should anything switch it on (the e2e stacks inherit this).
os.environ.pop("MOTO_ENABLE_RECORDING", None)
os.environ["MOTO_RECORDER_FILEPATH"] = os.path.join(tempfile.gettempdir(), f"portico-moto-recording-{os.getpid()}")
# Hypothesis (under schemathesis) keeps caches in ./.hypothesis unless told otherwise.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "portico-hypothesis"))
MOTO_PORT = _free_port()
os.environ["PORTICO_AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{MOTO_PORT}"
# The stand-in is built from this environment, whichever test happens to need it first.
SESSION_ENVIRONMENT = dict(os.environ)

import collections  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

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


class _StandInGuard:
    """WSGI wrapper around moto: while no test holds `aws_stack`, a request is refused and
    noted, so a test that uses AWS without asking for it fails instead of reading whatever an
    earlier test left behind."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.open = False
        self.strays: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.open:
            return self.app(environ, start_response)
        what = environ.get("HTTP_X_AMZ_TARGET") or f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"
        self.strays.append(what)
        body = json.dumps({"__type": "AwsStackNotRequested",
                           "message": f"{what}: this test uses AWS without the aws_stack fixture"}).encode()
        start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.0"),
                                           ("Content-Length", str(len(body)))])
        return [body]


_serialise_moto_dynamodb_writes()
_server = ThreadedMotoServer(ip_address="127.0.0.1", port=MOTO_PORT, verbose=False)
_server.start()
_guard = _StandInGuard(_server._server.app)
_server._server.app = _guard
logging.getLogger("werkzeug").setLevel(logging.WARNING)

from devtools import chalice_local, stack  # noqa: E402

chalice_local.harden()

from tests.support import AgentFactory, Api, Clock, Mailbox, Outbox, Portal, missing_from_stand_in  # noqa: E402


def pytest_sessionfinish(session, exitstatus):
    _server.stop()


@contextlib.contextmanager
def _session_environment() -> Iterator[None]:
    """The session's environment for a while, whatever the running test has set (a stage,
    a table name, an endpoint), with the app's caches following it in and back out."""
    from chalicelib import aws, config

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(SESSION_ENVIRONMENT)
    config.reset()
    aws.reset()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        config.reset()
        aws.reset()


class _StandIn:
    """This process's AWS: built on first use, then restored to that state for each test."""

    def __init__(self) -> None:
        self.pool: stack.CognitoPool | None = None
        self.snapshot: stack.InProcessSnapshot | None = None
        # Tests run in this process since the stand-in was last found whole: one of them broke it.
        self.since_checked: collections.deque[str] = collections.deque(maxlen=10)

    def fresh(self) -> stack.CognitoPool:
        from chalicelib import aws

        if self.pool is None or self.snapshot is None:
            with _session_environment():
                self.pool = stack.fresh(os.environ["PORTICO_AWS_ENDPOINT_URL"], timeout=10)
                self.snapshot = stack.InProcessSnapshot()
        else:
            self.snapshot.restore()
        aws.reset()  # new clients, as fresh() makes: nothing registered on them lingers
        stack.use(self.pool)
        self._check(self.pool)
        return self.pool

    def _check(self, pool: stack.CognitoPool) -> None:
        missing = missing_from_stand_in(pool)
        if missing:
            pytest.fail(f"the AWS stand-in was not restored: {', '.join(missing)} missing. Tests run in this "
                        f"process since it was last whole: {list(self.since_checked) or 'none'}; look for one "
                        "that resets moto (mock_aws(), /moto-api/reset) or changes the stage's names.",
                        pytrace=False)
        self.since_checked.clear()


_stand_in = _StandIn()


@pytest.fixture(autouse=True)
def _aws_only_when_asked(request):
    """Fails a test that reached moto without the `aws_stack` fixture (see _StandInGuard)."""
    _guard.strays.clear()
    yield
    _stand_in.since_checked.append(request.node.nodeid)
    strays, _guard.strays[:] = list(_guard.strays), []
    if strays:
        pytest.fail("this test uses AWS without asking for it: add the `aws_stack` fixture "
                    f"(or `api`, `agents`, `outbox`, `mailbox`, `portal`); refused: {strays[:5]}", pytrace=False)


@pytest.fixture
def aws_stack():
    """A fresh AWS (tables, SES sender and templates, the agents' Cognito pool with its groups
    and app client) for this test; the pool's ids are the same in every test of a process."""
    _guard.open = True
    try:
        yield _stand_in.fresh()
    finally:
        _guard.open = False


@pytest.fixture
def app():
    from app import app as chalice_app

    return chalice_app


@pytest.fixture
def api(app, aws_stack):
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
def outbox(aws_stack):
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


