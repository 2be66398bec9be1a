"""The portal log-in page's first load: the HTML, what it links, the calls it makes on start.

The requests are devtools/portal_weight.py's (shared with the portal's own tests), so the
figure here and the browser test's agree."""

from __future__ import annotations

from typing import Any


def first_load(api: Any) -> list[tuple[str, int, int]]:
    from devtools.portal_weight import chalice_client_fetch
    from devtools.portal_weight import first_load as measure

    return measure(chalice_client_fetch(api.client))
