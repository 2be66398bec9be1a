"""Work that runs outside a request: scheduled functions and stream handlers deployed,
and the same functions called by the local stack's worker (devtools/run.py), which runs
`local_cycle()` about twice a second so that local behaviour matches deployed behaviour."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

# (name, every_seconds, function) run by the local worker; capabilities append theirs.
LOCAL_WORKERS: list[tuple[str, float, Callable[[], object]]] = []


# --- Mail: outbox → SES (chalicelib/services/mail_delivery.py) ---------------------------
# The services are imported by the handlers that need them: an HTTP request never loads them.

def _time_left(context: object) -> Callable[[], float] | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return (lambda: remaining() / 1000) if callable(remaining) else None


def deliver_mail_stream(event: object) -> dict[str, int]:
    """Stream handler (outbox table, NEW_IMAGE): send what was just queued."""
    from chalicelib.services import mail_delivery  # lazy: cold start

    records = event.to_dict().get("Records", []) if hasattr(event, "to_dict") else event["Records"]  # type: ignore[index]
    outcomes = mail_delivery.deliver_stream_records(records, time_left=_time_left(getattr(event, "context", None)))
    mail_delivery.flush_metrics()
    return dict(outcomes)


def sweep_mail(event: object = None) -> dict[str, int]:
    """Scheduled sweeper: everything due (retries, stream misses, expired claims), stopping
    before the Lambda's deadline; the next run continues."""
    from chalicelib.services import mail_delivery  # lazy: cold start

    outcomes = mail_delivery.deliver_due(time_left=_time_left(getattr(event, "context", None)))
    mail_delivery.flush_metrics()
    return dict(outcomes)


def deliver_mail_locally() -> dict[str, int]:
    """The local stack's stand-in for the stream handler and the sweeper together."""
    from chalicelib.services import mail_delivery  # lazy: cold start

    outcomes = mail_delivery.deliver_due()
    mail_delivery.flush_metrics()
    return dict(outcomes)


LOCAL_WORKERS.append(("mail", 0.5, deliver_mail_locally))


def resend_invitations(context: object | None = None) -> dict[str, object]:
    """Hourly: resend pending invitations that are due (services/invitations.py)."""
    from chalicelib.services.invitations import resend_due_invitations  # lazy: cold start

    time_left = getattr(context, "get_remaining_time_in_millis", None)
    # Keep a fifth of the run (at most 10 s) to finish the reminder in flight and return.
    reserve = int(min(10_000, time_left() / 5)) if time_left else 0
    return asdict(resend_due_invitations(time_left_ms=time_left, reserve_ms=reserve))


LOCAL_WORKERS.append(("resend-invitations", 60.0, resend_invitations))


# --- Mail feedback: SES events via SNS (chalicelib/services/mail_feedback.py) ---------------

def handle_mail_feedback(message: str) -> dict[str, int]:
    """SNS handler: one SES bounce, complaint, reject or delivery event."""
    from chalicelib.services import mail_delivery, mail_feedback

    outcomes = mail_feedback.handle_sns_message(message)
    mail_delivery.flush_metrics()
    return outcomes


# --- Email in: SES receiving via S3 and SNS (chalicelib/services/mail_in.py) ---------------

def handle_inbound_mail(message: str) -> dict[str, object]:
    """SNS handler: one SES "Received" notification; the message itself is read from S3.
    (Chalice's S3 event handler cannot be packaged by `chalice package`, which infra uses.)"""
    from chalicelib.services import mail_in  # lazy: cold start

    return mail_in.handle_sns_message(message)


def run_import(event: dict) -> dict[str, object]:
    """The `run_import` function: one CSV import job (services/imports.py), named by the
    asynchronous invocation POST /agent/imports makes."""
    from chalicelib.services import imports  # lazy: cold start

    return imports.run(str(event["import_id"]))
