"""Email in: one client reply handed to the mail-in handler (services/mail_in.py) as SES's
notification, after the message was stored in the inbound bucket. Its DynamoDB reads must not
grow with the number of tickets or of clients (bench/mail_in.py measures the rest: one S3
read, the calls budget, CPU per 100 KB)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bench.scenarios import growth
from bench.scenarios.clients import seed_clients
from bench.scenarios.tickets import open_ticket, seed_tickets
from bench.stage import Stage

QUOTED_LINE = "> Thanks for the details; we are looking at the logs of your account and will come back to you.\n"


def reply_message(stage: Stage, *, size: int = 2_000) -> tuple[bytes, Any]:
    """A Gmail-like reply of about `size` bytes (the rest quoted history) from the shared client
    to the reply address of one of its tickets, and that ticket's number."""
    from chalicelib.services import reply_addresses

    client, _ = stage.shared_client
    number = open_ticket(stage)["number"]
    address = reply_addresses.for_client(number, client["id"], client["email"])
    quoted = QUOTED_LINE * max(1, (size - 600) // len(QUOTED_LINE))
    raw = (f"From: Bench Client <{client['email']}>\nTo: {address}\nSubject: Re: New reply on your request "
           f"[#{number}]\nMessage-ID: <bench-{stage.serial()}@client.test>\nMIME-Version: 1.0\n"
           "Content-Type: text/plain; charset=utf-8\n\nThat works, thank you. The printer prints again.\n\n"
           f"On Mon, Nov 30, 2026 at 9:00 AM Support <support@portico.test> wrote:\n{quoted}").encode()
    return raw, number


def stored_notification(raw: bytes) -> str:
    """Store `raw` where SES's S3 action would and answer the SNS message SES would publish."""
    from chalicelib import config
    from devtools import mail_in as local_mail_in

    key = local_mail_in.store(raw)
    return json.dumps(local_mail_in.notification(config.inbound_bucket(), key, raw))


def prepared_reply(stage: Stage, *, size: int = 2_000) -> Callable[[], Any]:
    """The handler call for one reply (the message stored, the sender's hourly allowance high)."""
    from chalicelib import jobs

    if not getattr(stage, "_mail_in_allowance", False):
        stage.set_settings(email_in_per_sender_hour=1000)
        stage._mail_in_allowance = True  # type: ignore[attr-defined]
    raw, _ = reply_message(stage, size=size)
    message = stored_notification(raw)
    return lambda: jobs.handle_inbound_mail(message)


@growth("job mail-in reply (tickets)", table="tickets", seed=seed_tickets, requires="jobs:handle_inbound_mail",
        note="one client reply: claim, sender counter, ticket, client, the note's transaction")
def reply_vs_tickets(stage: Stage) -> Callable[[], Any]:
    return prepared_reply(stage)


@growth("job mail-in reply (clients)", table="users", seed=seed_clients, requires="jobs:handle_inbound_mail",
        note="the same reply, with the users table grown")
def reply_vs_clients(stage: Stage) -> Callable[[], Any]:
    return prepared_reply(stage)
