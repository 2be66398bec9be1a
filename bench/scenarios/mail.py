"""Mail delivery: the outbox sweeper reads only what is due, however big the outbox grows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bench.scenarios import growth
from bench.stage import Stage

BENCH_TEMPLATE = "bench-sweep"
DUE_PER_RUN = 5


def _message(n: int, now: Any, **fields: Any) -> Any:
    from chalicelib.ids import new_id
    from chalicelib.models.outbox import OutboxModel

    return OutboxModel(new_id(), template=BENCH_TEMPLATE, recipient=f"mail-{n:06d}@growth.test",
                       data='{"name": "Ada"}', created_at=now, reason=f"bench:{n}", **fields)


def seed_outbox(start: int, stop: int) -> None:
    """Messages already delivered (out of the sparse pending index), as most of an outbox is."""
    from bench.seed import put_models
    from chalicelib.ids import utcnow

    now = utcnow()
    put_models([_message(n, now, status="sent", attempts=1, sent_at=now, message_id=f"bench-{n}")
                for n in range(start, stop)])


def _ensure_template() -> None:
    from chalicelib import aws
    from chalicelib.config import get_config
    from chalicelib.mail.templates import ses_template_name

    ses = aws.client("ses")
    name = ses_template_name(BENCH_TEMPLATE, get_config().stage)
    names = {t["Name"] for t in ses.list_templates().get("TemplatesMetadata", [])}
    if name not in names:
        ses.create_template(Template={"TemplateName": name, "SubjectPart": "Hello {{name}}",
                                      "TextPart": "Hello {{name}}", "HtmlPart": "<p>Hello {{name}}</p>"})


@growth("job sweep-mail", table="outbox", seed=seed_outbox, requires="jobs:sweep_mail",
        note=f"{DUE_PER_RUN} messages due at every size; the rest already sent")
def sweep_job(stage: Stage) -> Any:
    """Queue DUE_PER_RUN messages that are due now, then run the scheduled sweeper."""
    from bench.seed import put_models
    from chalicelib import jobs
    from chalicelib.ids import iso, utcnow
    from chalicelib.models.outbox import PENDING

    _ensure_template()
    # Mail other scenarios queued is sent first, outside the count: the sweeper sends everything
    # due, so without this the measured run would also send whatever the sizes' seeds left.
    jobs.sweep_mail()
    now = utcnow()
    due_at = iso(now - timedelta(minutes=1))
    put_models([_message(900_000 + stage.serial(), now, status=PENDING, pending=PENDING, next_attempt_at=due_at,
                         attempts=0) for _ in range(DUE_PER_RUN)])
    return jobs.sweep_mail
