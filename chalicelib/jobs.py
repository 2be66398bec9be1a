"""Work that runs outside a request: scheduled functions and stream handlers deployed,
and the same functions called by the local stack's worker (devtools/run.py), which runs
`local_cycle()` about twice a second so that local behaviour matches deployed behaviour."""

from __future__ import annotations

from collections.abc import Callable

# (name, every_seconds, function) run by the local worker; capabilities append theirs.
LOCAL_WORKERS: list[tuple[str, float, Callable[[], object]]] = []
