"""Email in per inbound reply (issue 22): S3 reads (one GetObject), DynamoDB calls (budget),
and the handler's CPU for a 100 KB message on a warm container, moto excluded (moto answers
from its own thread; `time.thread_time()` counts this one's)."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from bench.stage import Stage

MESSAGE_BYTES = 100 * 1024
ROUNDS = 7


@dataclass
class MailInResult:
    s3_reads: list[int] = field(default_factory=list)
    dynamodb_calls: list[int] = field(default_factory=list)
    operations: str = ""
    cpu_ms: list[float] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)

    @property
    def median_cpu_ms(self) -> float:
        return statistics.median(self.cpu_ms) if self.cpu_ms else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {"s3_get_object": self.s3_reads, "dynamodb_calls": self.dynamodb_calls, "operations": self.operations,
                "cpu_ms": [round(c, 2) for c in self.cpu_ms], "outcomes": self.outcomes,
                "message_bytes": MESSAGE_BYTES}


def measure(stage: Stage, rounds: int = ROUNDS) -> MailInResult:
    from bench.calls import warm_caches
    from bench.dynamo import counting
    from bench.scenarios.mail_in import prepared_reply
    from chalicelib import aws

    result = MailInResult()
    s3 = aws.client("s3")
    reads: list[str] = []
    s3.meta.events.register("before-call.s3.GetObject", lambda **_: reads.append("GetObject"),
                            unique_id="bench-mail-in-reads")
    try:
        for _ in range(rounds):
            handle = prepared_reply(stage, size=MESSAGE_BYTES)
            warm_caches()
            reads.clear()
            with counting() as calls:
                started = time.thread_time()
                outcome = handle()
                result.cpu_ms.append((time.thread_time() - started) * 1000)
            result.s3_reads.append(len(reads))
            result.dynamodb_calls.append(calls.total)
            result.operations = calls.summary()
            result.outcomes.append(str(outcome.get("result")))
    finally:
        s3.meta.events.unregister("before-call.s3.GetObject", unique_id="bench-mail-in-reads")
    return result
