"""The local stack's pieces, in this process: a moto server on a free loopback port, the
tables, SES templates and Cognito pool devtools/stack.py creates, and the app behind
chalice.test.Client. Counts are for a warm container: the settings a deployed container
caches for 10 seconds stay cached for the whole run (however slow a busy machine is), and the
bench re-reads them itself after every change."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    "PORTICO_STAGE": "test", "PORTICO_SETTINGS_CACHE_SECONDS": "3600",
    "PORTICO_MAIL_SENDER": "support@portico.test", "PORTICO_AGENTS_EMAIL": "agents@portico.test",
    "PORTICO_PORTAL_URL": "http://portal.test/portal",
    "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING",
    "PYDANTIC_DISABLE_PLUGINS": "__all__",  # as deployed (infra/stacks/portico.py)
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Local:
    endpoint: str
    api: Any
    agents: Any
    pool: Any

    def reset(self) -> None:
        """Fresh AWS: empty tables, mail templates, a new Cognito pool (and new agents)."""
        self.pool, self.agents = _fresh_aws(self.endpoint)


def _fresh_aws(endpoint: str) -> tuple[Any, Any]:
    from devtools import stack
    from tests.support import AgentFactory

    pool = stack.fresh(endpoint)
    return pool, AgentFactory(pool)


@contextmanager
def local_stack() -> Iterator[Local]:
    """Set the environment before anything imports chalicelib (models read it on import)."""
    import logging

    sys.path.insert(0, str(ROOT))
    os.environ.update(ENVIRONMENT)
    for name in ("AWS_LAMBDA_FUNCTION_NAME", "PORTICO_JWKS_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)
    endpoint = f"http://127.0.0.1:{free_port()}"
    os.environ["PORTICO_AWS_ENDPOINT_URL"] = endpoint

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(endpoint.rsplit(":", 1)[1]), verbose=False)
    server.start()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        from chalice.test import Client

        from app import app
        from devtools import chalice_local
        from tests.support import Api

        chalice_local.harden()
        pool, agents = _fresh_aws(endpoint)
        with Client(app, stage_name="local", project_dir=str(ROOT)) as client:
            yield Local(endpoint, Api(client), agents, pool)
    finally:
        server.stop()
