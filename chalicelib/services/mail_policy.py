"""The two tables that decide what happens to an email SES did not take: which SES
errors are retried (and which fail a message at once), and how long each kind of mail is
worth retrying (its deadline). docs/architecture.md shows both tables; keep them in step.

The rule behind the first table: whatever ops can fix (a missing template, an unverified
sender, a missing configuration set, paused sending, throttling, SES trouble) is retried
with backoff until the message's deadline, so mail catches up by itself once the cause is
fixed. Only a problem that resending cannot cure (the recipient's own permanent problem,
or content SES refuses) fails a message at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

RETRY = "retry"  # back to pending, exponential backoff (capped), until the deadline, then `expired`
FAIL = "fail"  # `failed` at once: kept for ops (`make mail-ops`)


@dataclass(frozen=True)
class ErrorClass:
    name: str
    outcome: str  # RETRY | FAIL
    codes: frozenset[str]  # SES error codes (any, when empty: the message decides)
    message_contains: tuple[str, ...] = ()  # lowercase fragments of the error message; any matches
    fixed_by: str = ""


def _codes(*codes: str) -> frozenset[str]:
    return frozenset(codes)


# First match wins: the rows that look at the message text come before the catch-alls of
# the same code. Unknown errors are retried (see `classify`): the deadline bounds them.
SES_ERROR_CLASSES: tuple[ErrorClass, ...] = (
    ErrorClass("throttling", RETRY, _codes("Throttling", "ThrottlingException", "TooManyRequestsException",
                                           "LimitExceeded", "LimitExceededException"),
               fixed_by="waiting; a higher SES sending quota"),
    ErrorClass("sending paused", RETRY, _codes("AccountSendingPausedException",
                                               "ConfigurationSetSendingPausedException"),
               fixed_by="ops resume sending (account or configuration set)"),
    ErrorClass("template missing", RETRY, _codes("TemplateDoesNotExist", "TemplateDoesNotExistException"),
               fixed_by="ops deploy the template (infra, `make stack` locally)"),
    ErrorClass("configuration set missing", RETRY, _codes("ConfigurationSetDoesNotExist",
                                                          "ConfigurationSetDoesNotExistException"),
               fixed_by="ops create it or fix PORTICO_MAIL_CONFIGURATION_SET"),
    ErrorClass("sender not verified", RETRY, _codes("MailFromDomainNotVerified", "MailFromDomainNotVerifiedException",
                                                    "MessageRejected"),
               ("not verified", "not authorized to send from"),
               fixed_by="ops verify the sender identity (or, in the SES sandbox, the recipient: "
                        "a sandboxed account rejects unverified recipients the same way)"),
    ErrorClass("invalid or suppressed recipient", FAIL, _codes("MessageRejected", "InvalidParameterValue"),
               ("blacklisted", "suppression list", "suppressed", "missing final '@domain'", "illegal address",
                "domain contains", "local address contains", "invalid address"),
               fixed_by="nobody: the address is wrong or SES refuses it; fix the client's address"),
    ErrorClass("message rejected for content", FAIL, _codes("MessageRejected", "InvalidRenderingParameter",
                                                            "InvalidParameterValue", "InvalidMessage"),
               fixed_by="a developer fixes the template or data, then ops requeue"),
    ErrorClass("service error", RETRY, _codes("ServiceUnavailable", "InternalFailure", "InternalError",
                                              "RequestTimeout", "RequestTimeoutException",
                                              "AccessDenied", "AccessDeniedException"),
               fixed_by="AWS (5xx, timeouts: retried at least once, an accepted send may be repeated), "
                        "or ops (IAM)"),
)

UNKNOWN = ErrorClass("unknown", RETRY, frozenset(), fixed_by="retried until the deadline; see last_error")
SERVICE_ERROR = SES_ERROR_CLASSES[-1]


def classify_ses_error(code: str, message: str, http_status: int = 0) -> ErrorClass:
    """The class of one SES answer (a 5xx is a service error whatever its code)."""
    if http_status >= 500:
        return SERVICE_ERROR
    text = message.lower()
    for error_class in SES_ERROR_CLASSES:
        if code not in error_class.codes:
            continue
        if error_class.message_contains and not any(part in text for part in error_class.message_contains):
            continue
        return error_class
    return UNKNOWN


# --- Deadlines: past it a message is `expired`, never sent late ----------------------------


@dataclass(frozen=True)
class Deadline:
    """How long after queuing a message is still worth sending. For link mail, the link's
    own life, read from the template data the sender wrote (`link_life_field`, in
    `link_life_unit`s); `retry_for` when the data does not say."""

    retry_for: timedelta
    link_life_field: str | None = None
    link_life_unit: timedelta = timedelta(hours=1)
    reissued_by: str = ""

    def deliver_by(self, queued_at: datetime, data: dict[str, Any] | None) -> datetime:
        life = self.retry_for
        if self.link_life_field and data and isinstance(data.get(self.link_life_field), (int, float)):
            life = self.link_life_unit * data[self.link_life_field]
        return queued_at + life


TICKET_MAIL = Deadline(timedelta(hours=48), reissued_by="nobody: the ticket in the portal has it all")
DEFAULT_DEADLINE = Deadline(timedelta(hours=24))

MAIL_DEADLINES: dict[str, Deadline] = {
    "portal-login-code": Deadline(timedelta(minutes=10), reissued_by="the client asks for a new code"),
    "portal-password-reset": Deadline(timedelta(hours=1), "expires_in_minutes", timedelta(minutes=1),
                                      reissued_by="the client asks again (forgot password)"),
    "portal-welcome": Deadline(timedelta(hours=72), "expires_in_hours",
                               reissued_by="the next invitation reminder (hourly job), an agent's resend, "
                                           "or the client asking from the portal"),
    "portal-signup-verify": Deadline(timedelta(hours=72), "expires_in_hours",
                                     reissued_by="the client signs up again (one fresh link an hour)"),
    "portal-signup-existing": Deadline(timedelta(hours=24), reissued_by="the next sign-up attempt"),
    "ticket-created": TICKET_MAIL,
    "ticket-note-created": TICKET_MAIL,
    "ticket-resolved": TICKET_MAIL,
}


def deadline_for(template: str) -> Deadline:
    # The stage prefix some deployments put on template names does not change the rule.
    return MAIL_DEADLINES.get(template) or next(
        (rule for name, rule in MAIL_DEADLINES.items() if template.endswith(f"-{name}")), DEFAULT_DEADLINE)


def deliver_by(template: str, queued_at: datetime, data: dict[str, Any] | str | None) -> datetime:
    """The message's deadline: stored on the item when queued; computed again from the same
    rule for items queued before deadlines existed."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            data = None
    return deadline_for(template).deliver_by(queued_at, data if isinstance(data, dict) else None)
