"""Browser fixtures: the real app served by Chalice's local server on a free loopback port
(against this test process's moto server), driven by Debian's chromium through Playwright.

We never download a browser: `make test` installs Debian's chromium with apt when it is missing.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, sync_playwright

CHROMIUM = os.environ.get("PORTICO_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
CLIENT_PASSWORD = "Blue-Lantern-Orchard-58"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def portal_url() -> Iterator[str]:
    """The app on http://127.0.0.1:<port>, for the whole test process. Each test's `aws_stack`
    resets moto underneath it; the app reads its tables and pool from the environment."""
    from devtools.localserver import ServerThread

    port = _free_port()
    server = ServerThread("127.0.0.1", port).start()
    _SERVER_IDLE.append(_count_requests(server.server.server))
    yield f"http://127.0.0.1:{port}"
    server.stop()


# Waits until the local server has answered every connection it took. A tab's last requests (a
# fetch the page started just before its test ended) must finish while that test's AWS stand-in
# is still in place, not during the next test, which may not use AWS at all.
_SERVER_IDLE: list[Callable[[], None]] = []


def _count_requests(httpd: Any) -> Callable[[], None]:
    lock, busy = threading.Lock(), [0]
    answer = httpd.finish_request

    def finish_request(request: Any, client_address: Any) -> None:
        with lock:
            busy[0] += 1
        try:
            answer(request, client_address)
        finally:
            with lock:
                busy[0] -= 1

    httpd.finish_request = finish_request

    def wait_idle(timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while busy[0] and time.monotonic() < deadline:
            time.sleep(0.01)

    return wait_idle


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        # Never a silent skip: a missing browser is a broken test machine; say how to fix it.
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium) "
                    "or set PORTICO_CHROMIUM to Debian's chromium binary", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu",
                                            "--disable-background-networking"])
        yield chromium
        chromium.close()


class Problems:
    """JavaScript errors and console errors a page produced; a test fails on any."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.allowed: list[str] = []

    def allow(self, text: str) -> None:
        """A console error this test causes on purpose (e.g. a request it makes fail)."""
        self.allowed.append(text)

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not _expected_http_error(message.text) \
                and not any(text in message.text for text in self.allowed):
            self.items.append(f"console: {message.text}")

    def page_error(self, error: Exception) -> None:
        self.items.append(f"page error: {error}")


def _expected_http_error(text: str) -> bool:
    # Chromium logs every 4xx answer to fetch() ("Failed to load resource: ... 401"). The page
    # shows API refusals as words; those are the product working, not script errors. (Its
    # first load logs none: test_portal_edges.py checks that on its own.)
    return bool(re.match(r"Failed to load resource: the server responded with a status of 4\d\d", text))


@pytest.fixture
def page_problems() -> Problems:
    return Problems()


@pytest.fixture
def page(browser: Any, portal_url: str, page_problems: Problems, aws_stack: Any) -> Iterator[Page]:
    """A tab on the portal; the app behind it reads this test's fresh AWS (`aws_stack`)."""
    context = browser.new_context(base_url=portal_url, viewport={"width": 1100, "height": 800})
    context.set_default_timeout(8000)
    tab = context.new_page()
    problems = page_problems
    tab.on("console", problems.console)
    tab.on("pageerror", problems.page_error)
    yield tab
    context.close()
    for wait_idle in _SERVER_IDLE:
        wait_idle()
    assert problems.items == [], problems.items


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def assert_accessible(page: Page) -> None:
    """axe-core on the page as it is now: no serious or critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert bad == [], json.dumps([{"id": v["id"], "help": v["help"],
                                   "nodes": [n["html"] for n in v["nodes"][:3]]} for v in bad], indent=1)


def missing_routes(*routes: str) -> list[str]:
    """Which of these "METHOD /path" routes the app does not have (yet)."""
    from app import app

    def shape(path: str) -> str:  # parameter names do not matter: /x/{id} is /x/{client_id}
        return re.sub(r"\{[^}]*\}", "{}", path)

    registered = {(method, shape(path)) for path, methods in app.routes.items() for method in methods}
    return [route for route in routes if (route.split(" ", 1)[0], shape(route.split(" ", 1)[1])) not in registered]


def needs_routes(*routes: str) -> pytest.MarkDecorator:
    """Skip (naming what is missing, before any fixture runs) while a back-end route this
    scenario needs has not landed. Every such skip is listed in the run's summary (-rs)."""
    missing = missing_routes(*routes)
    return pytest.mark.skipif(bool(missing), reason="back-end route(s) not on main yet: " + ", ".join(missing))


def _portal_gate_missing() -> bool:
    from chalicelib.routes.pipeline import PORTAL_GATES

    return not PORTAL_GATES


# The portal switch and IP allowlist gate comes with the access-control capability.
needs_portal_gate = pytest.mark.skipif(_portal_gate_missing(), reason="the portal gate (switch, IP allowlist) "
                                       "is not on main yet")
