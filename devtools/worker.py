"""The local stack's background worker: runs what the deployed system runs from DynamoDB
streams and schedules (`chalicelib.jobs.LOCAL_WORKERS`), so that locally, mail caused by
a request goes out within about a second and pending invitations get their reminders."""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger("portico.worker")


class Worker:
    def __init__(self, tick_seconds: float = 0.25) -> None:
        self.tick_seconds = tick_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="portico-worker")

    def start(self) -> Worker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        from chalicelib import jobs

        last_run: dict[str, float] = {}
        while not self._stop.is_set():
            now = time.monotonic()
            for name, every, job in list(jobs.LOCAL_WORKERS):
                if now - last_run.get(name, float("-inf")) < every:
                    continue
                last_run[name] = now
                try:
                    job()
                except Exception:  # keep the worker alive; the job retries on its next turn
                    log.exception("local job %s failed", name)
            self._stop.wait(self.tick_seconds)
