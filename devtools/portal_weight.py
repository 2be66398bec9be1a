"""Bytes a browser transfers on the first load of the portal's log-in page, without a browser.

For `make bench` (budget: 60 KB). The browser test tests/browser/test_portal_public.py measures
the same thing in real Chromium; this figure follows the same requests: the HTML page, every
stylesheet and script it links, and the two JSON calls the page makes on start (`/portal/config`,
`/portal/me`, which answers 401 before log-in). Headers are counted as HTTP/1.1 sends them.

    from devtools.portal_weight import first_load
    rows = first_load(fetch)   # fetch(path) -> (status, headers, body) on any client of the app
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

BUDGET_BYTES = 60 * 1024
Fetch = Callable[[str], tuple[int, Mapping[str, str], bytes]]
_LINKED = re.compile(r'<(?:script|link)\b[^>]*?(?:src|href)="([^"]+\.(?:js|css))"')
_START_CALLS = ("/portal/config", "/portal/me")


def _wire_size(status: int, headers: Mapping[str, str], body: bytes) -> int:
    head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return len(head.encode()) + len(body)


def first_load(fetch: Fetch) -> list[tuple[str, int, int]]:
    """(path, status, bytes on the wire) for every request of the log-in page's first load."""
    status, headers, html = fetch("/portal")
    rows = [("/portal", status, _wire_size(status, headers, html))]
    for path in [*_LINKED.findall(html.decode("utf-8")), *_START_CALLS]:
        answer = fetch(path)
        rows.append((path, answer[0], _wire_size(*answer)))
    return rows


def chalice_client_fetch(client: object) -> Fetch:
    """A `Fetch` over `chalice.test.Client` (what the bench and the tests already use)."""

    def fetch(path: str) -> tuple[int, Mapping[str, str], bytes]:
        response = client.http.get(path, headers={"Accept": "text/html" if path == "/portal" else "*/*"})
        return response.status_code, response.headers, response.body

    return fetch
