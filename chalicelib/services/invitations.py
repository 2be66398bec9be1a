"""Invitations: the `portal-welcome` email with a single-use activation link, sent by an
agent (or a client admin), resent on a schedule while pending, and activation itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.config import get_config
from chalicelib.errors import Conflict
from chalicelib.ids import iso, utcnow
from chalicelib.models.outbox import OutboxModel
from chalicelib.models.users import ACTIVE, DISABLED, INACTIVE, INVITED, REMINDER_DUE, UserModel, status_actions
from chalicelib.services import (
    client_directory,
    client_store,
    mfa,
    outbox,
    passwords,
    portal_log,
    sessions,
    throttle,
    tokens,
)
from chalicelib.services.client_store import Client
from chalicelib.services.settings import get_settings

WELCOME_TEMPLATE = "portal-welcome"


def activation_url(secret: str) -> str:
    return f"{get_config().portal_url}/activate?token={secret}"


def _next_reminder(invited_at: datetime, reminders_sent: int) -> datetime | None:
    days = get_settings().invitation_reminder_days
    if reminders_sent >= len(days):
        return None
    return invited_at + timedelta(days=days[reminders_sent])


def _welcome(item: UserModel, token: tokens.IssuedToken, ttl_hours: int, reason: str, reminder: int) -> OutboxModel:
    data = {"name": item.name or "", "email": item.email, "activation_url": activation_url(token.secret),
            "portal_url": get_config().portal_url, "expires_in_hours": ttl_hours,
            "expires_in": _human_duration(ttl_hours), "is_reminder": reminder > 0}
    return outbox.message(WELCOME_TEMPLATE, item.email or "", data, reason=reason)


def _human_duration(hours: int) -> str:
    if hours % 24 == 0:
        days = hours // 24
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{hours} hour{'s' if hours != 1 else ''}"


def prepare_invitation(item: UserModel, now: datetime, *, invited_by: str | None) -> list[Any]:
    """Turn an unsaved client into an invited one: sets its fields and returns the token
    item and the outbox message to save in the creating transaction."""
    ttl_hours = get_settings().activation_ttl_hours
    token = tokens.issue(item.id, tokens.ACTIVATION, timedelta(hours=ttl_hours), now)
    item.status, item.invite_token_hash, item.invited_at, item.invited_by = INVITED, token.hash, now, invited_by
    item.reminders_sent, item.last_reminder_at = 0, None
    _schedule_reminder(item, _next_reminder(now, 0))
    return [token.item, _welcome(item, token, ttl_hours, f"invite:{item.id}:{token.hash[:16]}", 0)]


def _schedule_reminder(item: UserModel, when: datetime | None) -> None:
    item.reminder_queue = REMINDER_DUE if when else None
    item.next_reminder_at = iso(when) if when else None


def send_invitation(client_id: str, *, invited_by: str | None) -> Client:
    """Send or resend the invitation now; any older link stops working (the client
    records only the newest token's hash). Only inactive or invited clients."""
    item = client_store.load_item(client_id)
    if item.status not in (INACTIVE, INVITED) or (item.signup == "self" and item.status == INACTIVE):
        raise Conflict(_not_invitable(item.status))
    now = utcnow()
    previous_status = item.status
    token_item, message = prepare_invitation(item, now, invited_by=invited_by)
    item.updated_at = now
    try:
        with TransactWrite(connection=client_store.connection()) as tx:
            tx.save(item, condition=UserModel.status == previous_status)
            tx.save(token_item, condition=UserModel.id.does_not_exist())
            tx.save(message, condition=OutboxModel.id.does_not_exist())
    except TransactWriteError:
        raise Conflict("The client changed meanwhile; try again.") from None
    return client_store.to_client(item)


def hour_bucket(now: datetime) -> str:
    """The hour in the reasons of "at most one such email an hour" (outbox ids come from them)."""
    return f"{now:%Y-%m-%dT%H}"


def replace_link_once(item: UserModel, token: tokens.IssuedToken, message: OutboxModel, now: datetime, *,
                      condition: Any) -> None:
    """Make `token` the client's one valid link and queue `message`, which carries it, in one
    transaction. Nothing changes when `message` is already queued (its id comes from an
    hour-bucketed reason: at most one an hour) or `condition` no longer holds on the client:
    the link in a mail already queued stays valid."""
    try:
        with TransactWrite(connection=client_store.connection()) as tx:
            tx.save(message, condition=OutboxModel.id.does_not_exist())
            tx.save(token.item, condition=UserModel.id.does_not_exist())
            tx.update(item, actions=[UserModel.invite_token_hash.set(token.hash), UserModel.updated_at.set(now)],
                      condition=condition)
    except TransactWriteError:
        return


def resend_on_request(item: UserModel) -> None:
    """An invited client asks from the portal, anonymously (sign-up or forgot-password with
    their address): the invitation goes out again with a fresh link, at most once an hour
    per client however often anyone asks (and not once it is activated, disabled or removed).
    Unlike an agent's resend it leaves the invitation itself alone (invited_at, invited_by,
    the reminder plan), so strangers cannot restart the reminders."""
    now = utcnow()
    ttl_hours = get_settings().activation_ttl_hours
    token = tokens.issue(item.id, tokens.ACTIVATION, timedelta(hours=ttl_hours), now)
    message = _welcome(item, token, ttl_hours, f"invite-on-request:{item.id}:{hour_bucket(now)}", 0)
    replace_link_once(item, token, message, now, condition=UserModel.status == INVITED)


def _not_invitable(status: str | None) -> str:
    if status == ACTIVE:
        return "This client has already activated the portal account."
    if status == DISABLED:
        return "This client is disabled; re-enable it first."
    return "This client signed up and has not verified the email yet."


# --- activation -------------------------------------------------------------------

@dataclass(frozen=True)
class Activation:
    email: str
    status: str
    name: str | None
    purpose: str


def activation_info(secret: str, origin: portal_log.Origin | None = None) -> Activation:
    """What the activation page shows before the client fills in the form. A link that does not
    work counts against the address and the link as a failed activation does: guessing links by
    reading them is throttled like guessing them by using them."""
    with throttle.link_failures_counted(secret, ip=origin.ip if origin else None):
        _, token, item = tokens.redeemable(secret, tokens.ACTIVATION, utcnow())
    return Activation(item.email or "", item.status or INVITED, item.name, token.purpose or tokens.ACTIVATION)


def activate(secret: str, *, name: str, phone: str | None, password: str, origin: portal_log.Origin | None = None
             ) -> tuple[Client, sessions.Session | mfa.Challenge]:
    """Complete an invitation: contact details and password, status active, logged in (or,
    when a second factor is due, a challenge to pass first). Every attempt goes to the portal log."""
    with portal_log.recorded(portal_log.ACTIVATION, origin) as attempt, throttle.link_failures_counted(
            secret, ip=origin.ip if origin else None):
        client, session = _activate(secret, name=name, phone=phone, password=password, attempt=attempt)
    if session is None:  # a second factor is due: the session waits for it
        return client, mfa.start(client_store.load_item(client.id), origin)
    return client, session


def _activate(secret: str, *, name: str, phone: str | None, password: str, attempt: portal_log.Attempt
              ) -> tuple[Client, sessions.Session | None]:
    token_hash, token, item = tokens.redeemable(secret, tokens.ACTIVATION, utcnow())
    attempt.client_id, attempt.email = item.id, item.email
    passwords.check_policy(password, email=item.email or "", name=name)
    now = utcnow()
    session = None if mfa.due(item) else sessions.new_session(item.id, now)
    actions = [*status_actions(item.id, ACTIVE), UserModel.name.set(name), UserModel.password_hash.set(
        passwords.hash_password(password)), UserModel.password_changed_at.set(now), UserModel.activated_at.set(now),
        UserModel.last_login_at.set(now), UserModel.updated_at.set(now), UserModel.invite_token_hash.remove(),
        UserModel.reminder_queue.remove(), UserModel.next_reminder_at.remove(),
        UserModel.sessions.set({session.key: session.value} if session else {})]
    actions.append(UserModel.phone.set(phone) if phone else UserModel.phone.remove())
    terms = client_directory.term_change(item, name=name, email=item.email)
    actions.append(terms.action)
    _finish(token, item, token_hash, actions, now, expected_status=item.status or INVITED, terms=terms)
    # What the transaction wrote: the answer needs no second read.
    item.status, item.name, item.phone = ACTIVE, name, phone or None
    item.activated_at = item.last_login_at = item.updated_at = now
    item.reminder_queue = item.next_reminder_at = None
    return client_store.to_client(item), session


def _finish(token: UserModel, item: UserModel, token_hash: str, actions: list[Any], now: datetime,
            expected_status: str, terms: client_directory.TermChange | None = None) -> None:
    """Use the token and apply `actions` to its owner in one transaction: a concurrent
    second use, re-invitation or disabling makes it fail as a used/expired link."""
    try:
        with TransactWrite(connection=client_store.connection()) as tx:
            tx.update(token, actions=tokens.mark_used_action(now), condition=tokens.unused_condition())
            tx.update(item, actions=actions, condition=(UserModel.invite_token_hash == token_hash)
                      & (UserModel.status == expected_status))
            if terms is not None:
                terms.add_to(tx)
    except TransactWriteError:
        raise tokens.used() from None


# --- scheduled resend ---------------------------------------------------------------

@dataclass
class ResendReport:
    examined: int = 0
    sent: int = 0
    skipped: int = 0
    stopped_early: bool = False


def resend_due_invitations(*, now: datetime | None = None, time_left_ms: Callable[[], int] | None = None,
                           reserve_ms: int = 10_000, page_size: int = 50) -> ResendReport:
    """Resend `portal-welcome` to every client still invited whose next reminder is due.

    Reads only the sparse `reminders_due` index. Each reminder is one transaction
    conditioned on the reminder state read, so two overlapping runs send it once; it
    stops while `time_left_ms()` leaves `reserve_ms`, and the next run continues."""
    now = now or utcnow()
    report = ResendReport()
    last_key = None
    while True:
        page = UserModel.reminders_due.query(REMINDER_DUE, UserModel.next_reminder_at <= iso(now), limit=page_size,
                                             last_evaluated_key=last_key)
        for item in page:
            if time_left_ms is not None and time_left_ms() < reserve_ms:
                report.stopped_early = True
                return report
            report.examined += 1
            if _send_reminder(item, now):
                report.sent += 1
            else:
                report.skipped += 1
        last_key = page.last_evaluated_key
        if not last_key:
            return report


def _send_reminder(item: UserModel, now: datetime) -> bool:
    seen_due = item.next_reminder_at
    sent_before = int(item.reminders_sent or 0)
    if item.status != INVITED or item.invited_at is None:
        return False
    ttl_hours = get_settings().activation_ttl_hours
    token = tokens.issue(item.id, tokens.ACTIVATION, timedelta(hours=ttl_hours), now)
    upcoming = _next_reminder(item.invited_at, sent_before + 1)
    actions = [UserModel.reminders_sent.set(sent_before + 1), UserModel.last_reminder_at.set(now),
               UserModel.invite_token_hash.set(token.hash), UserModel.updated_at.set(now)]
    if upcoming:
        actions.append(UserModel.next_reminder_at.set(iso(upcoming)))
    else:
        actions += [UserModel.reminder_queue.remove(), UserModel.next_reminder_at.remove()]
    message = _welcome(item, token, ttl_hours, f"reminder:{item.id}:{iso(item.invited_at)}:{sent_before + 1}",
                       sent_before + 1)
    try:
        with TransactWrite(connection=client_store.connection()) as tx:
            tx.update(item, actions=actions, condition=(UserModel.status == INVITED)
                      & (UserModel.next_reminder_at == seen_due) & (UserModel.reminders_sent == sent_before))
            tx.save(token.item, condition=UserModel.id.does_not_exist())
            tx.save(message, condition=OutboxModel.id.does_not_exist())
    except TransactWriteError:
        return False  # another run sent it, or the client changed meanwhile
    return True
