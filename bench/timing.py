"""Side-by-side timing of the anonymous doors (issue 13): sign-up and forgot-password must not
tell by their time whether an address has an account. An existing (active) address and unknown
ones are sent alternately, `TRIES` times each, with production Argon2 parameters; the medians
and their ratio (slower / faster) are compared with `anonymous_timing_ratio` in budgets.json.

The tests count the work per path (tests/api/test_anonymous_doors.py: the same Argon2 hashes and
DynamoDB calls in the same order); this shows what a caller would measure. The throttle's
counters for the address and the email are reset before each try (outside the timing), so
every try takes the path it is meant to, not a 429.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from bench.stage import Stage

TRIES = 30
NEW_PASSWORD = "Quiet-Meadow-Compass-58"


@dataclass
class DoorTiming:
    route: str
    existing_ms: list[float] = field(default_factory=list)
    unknown_ms: list[float] = field(default_factory=list)
    problem: str = ""

    @property
    def existing_median(self) -> float:
        return statistics.median(self.existing_ms)

    @property
    def unknown_median(self) -> float:
        return statistics.median(self.unknown_ms)

    @property
    def ratio(self) -> float:
        slow, fast = max(self.existing_median, self.unknown_median), min(self.existing_median, self.unknown_median)
        return slow / fast if fast else float("inf")

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"route": self.route, "tries": len(self.existing_ms), "problem": self.problem}
        if self.existing_ms and self.unknown_ms:
            data.update(existing_median_ms=round(self.existing_median, 2),
                        unknown_median_ms=round(self.unknown_median, 2), ratio=round(self.ratio, 3),
                        existing_ms=[round(x, 2) for x in self.existing_ms],
                        unknown_ms=[round(x, 2) for x in self.unknown_ms])
        return data


def _forget_counters(limit: Any, email: str) -> None:
    """Delete this window's counters of the local caller's address and of `email`."""
    from chalice.local import LambdaEventConverter

    from chalicelib.models.throttle import ThrottleModel
    from chalicelib.services import throttle

    for counter in throttle.counters(limit, _now(), ip=LambdaEventConverter.LOCAL_SOURCE_IP, account=email):
        ThrottleModel(counter.key).delete()


def _now() -> Any:
    from chalicelib.ids import utcnow

    return utcnow()


def _timed(stage: Stage, path: str, body: dict[str, Any]) -> float:
    started = time.perf_counter()
    answer = stage.api.post(path, body)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status != 202:
        raise RuntimeError(f"{path} answered {answer.status}: {answer.json}")
    return elapsed


def measure(stage: Stage, tries: int = TRIES) -> list[DoorTiming]:
    from chalicelib.services import throttle

    stage.set_settings(self_signup=True)
    existing = stage.active_client()[0]["email"]
    doors = (("/portal/signup", throttle.SIGNUP, {"name": "Someone", "password": NEW_PASSWORD}),
             ("/portal/password/forgot", throttle.FORGOT, {}))
    results = []
    for path, limit, body in doors:
        result = DoorTiming(f"POST {path}")
        try:
            stage.api.post(path, {**body, "email": existing})  # warm: the first call of a path imports its code
            for _ in range(tries):
                unknown = stage.email("nobody")
                for email, into in ((existing, result.existing_ms), (unknown, result.unknown_ms)):
                    _forget_counters(limit, email)
                    into.append(_timed(stage, path, {**body, "email": email}))
        except Exception as error:  # reported as a row, not raised: the other parts still run
            result.problem = f"{type(error).__name__}: {error}"[:300]
        results.append(result)
    return results
