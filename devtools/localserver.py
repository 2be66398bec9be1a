"""Serve the Chalice app with Chalice's own local server, in this process.

Used by `make run` and by tests that need a real HTTP server. Call only after the
environment (endpoint, pool ids, table names) is set: importing the app reads it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from chalice import local
from chalice.cli.factory import CLIFactory

from devtools import chalice_local

PROJECT_DIR = Path(__file__).resolve().parent.parent


def create_server(host: str, port: int, stage: str = "local") -> local.LocalDevServer:
    chalice_local.harden()
    factory = CLIFactory(str(PROJECT_DIR))
    config = factory.create_config_obj(chalice_stage_name=stage)
    app = factory.load_chalice_app(config.environment_variables)
    if isinstance(app, local.LocalChalice):
        # A second server in this process (the browser tests' and the fuzzing's): the app is
        # already Chalice's local subclass, and making it one again would be an inheritance cycle.
        return local.LocalDevServer(app, config, host, port)
    return factory.create_local_server(app, config, host, port)


class ServerThread:
    """The app on host:port in a background thread; `stop()` shuts it down."""

    def __init__(self, host: str, port: int) -> None:
        self.server = create_server(host, port)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="chalice-local")

    def start(self) -> ServerThread:
        self.thread.start()
        return self

    def stop(self, *_: Any) -> None:
        self.server.shutdown()
