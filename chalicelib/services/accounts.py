"""What clients do to their own account from the portal: sign up on a public portal,
verify the email, forgot / reset / change password, edit the profile.

Sign-up and forgot-password answer the same whatever the email (no enumeration), and in the
same time: each path does the same work on the request (password hashes and DynamoDB calls);
what differs is only which email, if any, is queued.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.config import get_config
from chalicelib.errors import InvalidInput, PorticoError, Unauthorized
from chalicelib.identity import ActingClient
from chalicelib.ids import utcnow
from chalicelib.models.outbox import OutboxModel
from chalicelib.models.users import ACTIVE, CLIENT_USER, INACTIVE, INVITED, UserModel, email_guard_id, status_actions
from chalicelib.services import (
    client_directory,
    client_store,
    clients,
    invitations,
    mfa,
    organizations,
    outbox,
    passwords,
    portal_log,
    sessions,
    throttle,
    tokens,
)
from chalicelib.services.client_store import Client
from chalicelib.services.settings import get_settings

RESET_TTL = timedelta(hours=1)


class SignupDisabled(PorticoError):
    code, status, default_message = "signup_disabled", 403, "Sign-up is not open on this portal."


def _portal(path: str) -> str:
    return f"{get_config().portal_url}{path}"


def _save_all(*items: object) -> None:
    with TransactWrite(connection=client_store.connection()) as tx:
        for item in items:
            tx.save(item, condition=item.__class__.id.does_not_exist())


def signup(email: str, name: str, password: str, origin: portal_log.Origin | None = None) -> None:
    """A public portal's sign-up: a new, unverified client and a verification email; for
    an existing account an email saying so instead, never a second account. Every attempt
    counts against the email and the address (throttle.SIGNUP).

    Whatever the address, the request does the same work, so its timing does not tell whether
    the address has an account: one password hash, two GetItems (`find_by_email_evenly`) and
    one TransactWriteItems (`_nothing_to_write` on the paths that queue nothing)."""
    if not get_settings().self_signup:
        raise SignupDisabled()
    throttle.attempt(throttle.SIGNUP, ip=origin.ip if origin else None, account=email)
    passwords.check_policy(password, email=email, name=name)
    password_hash = passwords.hash_password(password)
    existing = client_store.find_by_email_evenly(email)
    if existing is not None:
        _tell_existing_account(existing, name=name, password_hash=password_hash)
        return
    now = utcnow()
    ttl_hours = get_settings().activation_ttl_hours
    item = client_store.new_client_item(email, name=name, phone=None, organization_id=None, role=CLIENT_USER, now=now)
    item.signup, item.password_hash, item.password_changed_at = "self", password_hash, now
    token = tokens.issue(item.id, tokens.VERIFY, timedelta(hours=ttl_hours), now)
    item.invite_token_hash = token.hash
    message = _verify_message(email, name, token, ttl_hours, reason=f"signup:{item.id}")
    terms = client_directory.index_new(item)
    try:
        _save_all(client_store.guard_item(item), item, token.item, message, *terms)
    except TransactWriteError:
        # Someone signed up with this email a moment ago: they get the email, not a 409.
        winner = client_store.find_by_email(email)
        if winner is not None:
            _tell_existing_account(winner, name=name, password_hash=password_hash)


def _verify_message(email: str, name: str, token: tokens.IssuedToken, ttl_hours: int, reason: str) -> OutboxModel:
    return outbox.message("portal-signup-verify", email, {
        "name": name, "email": email, "verify_url": _portal(f"/verify?token={token.secret}"),
        "expires_in_hours": ttl_hours, "portal_url": get_config().portal_url}, reason=reason)


def _tell_existing_account(item: UserModel, *, name: str, password_hash: str) -> None:
    """At most one such email per account per hour, however often someone tries. Every branch
    is one TransactWriteItems (see `signup`)."""
    hour = invitations.hour_bucket(utcnow())
    if is_unverified_signup(item):
        _verify_again(item, name=name, password_hash=password_hash)
    elif item.status == ACTIVE:
        message = outbox.message("portal-signup-existing", item.email or "", {
            "name": item.name or "", "email": item.email, "login_url": _portal("/login"),
            "forgot_url": _portal("/forgot")}, reason=f"signup-existing:{item.id}:{hour}")
        _queue_once(message)
    elif item.status == INVITED:
        invitations.resend_on_request(item)
    else:
        # inactive (an agent chose not to invite) and disabled accounts get nothing
        _nothing_to_write(item.id, UserModel.status == item.status)


def is_unverified_signup(item: UserModel) -> bool:
    return item.status == INACTIVE and item.signup == "self"


def _unverified_signup_condition() -> Any:
    return (UserModel.status == INACTIVE) & (UserModel.signup == "self")


def _verify_again(item: UserModel, *, name: str, password_hash: str) -> None:
    """Someone signs up again with the address of an unverified sign-up: the first mail was
    lost, its link expired, or someone else signed up with this address. A fresh
    verification link goes out (the older one stops working), at most one an hour per
    account. The new link carries this sign-up's name and password hash on its token item:
    whoever follows a link has read the mailbox, so the sign-up whose link is followed is
    the one that counts. Verified or removed meanwhile: nothing is sent, the same 202."""
    now = utcnow()
    ttl_hours = get_settings().activation_ttl_hours
    token = tokens.issue(item.id, tokens.VERIFY, timedelta(hours=ttl_hours), now)
    token.item.name, token.item.password_hash = name, password_hash
    message = _verify_message(item.email or "", name, token, ttl_hours,
                              reason=f"signup-again:{item.id}:{invitations.hour_bucket(now)}")
    invitations.replace_link_once(item, token, message, now, condition=_unverified_signup_condition())


def _queue_once(message: OutboxModel) -> None:
    """Queue `message` in a transaction of its own (the same one call as the other paths); the
    same email already queued this hour is fine."""
    try:
        with TransactWrite(connection=client_store.connection()) as tx:
            tx.save(message, condition=OutboxModel.id.does_not_exist())
    except TransactWriteError:
        return


def _nothing_to_write(key: str, condition: Any) -> None:
    """The one TransactWriteItems of a path with nothing to change or send, the same as the
    ones that do (a password reset's: the client or guard at `key` updated on `condition`, a
    token and an outbox message saved) except that its last condition never holds, so DynamoDB
    cancels it and nothing is written. An anonymous door (sign-up, forgot-password) then does
    the same work whether or not the address has an account, and its timing tells nothing."""
    now = utcnow()
    token = tokens.issue(key, tokens.RESET, RESET_TTL, now)  # never saved: its secret is dropped here
    message = outbox.message("portal-password-reset", "nobody@invalid", {
        "reset_url": _portal(f"/reset?token={token.secret}")}, reason=f"nothing:{token.hash}")
    try:
        with TransactWrite(connection=client_store.connection()) as tx:
            tx.update(UserModel(key), actions=[UserModel.reset_token_hash.set(token.hash)], condition=condition)
            tx.save(token.item, condition=UserModel.id.does_not_exist())
            # A fresh random id: it never exists, so the transaction is always cancelled.
            tx.save(message, condition=OutboxModel.id.exists())
    except TransactWriteError:
        return
    raise AssertionError("a transaction meant to be cancelled was written")


def verify_signup(secret: str, origin: portal_log.Origin | None = None
                  ) -> tuple[Client, sessions.Session | mfa.Challenge]:
    """Follow the sign-up verification link: the account becomes active, logged in. Logged
    in the portal log as an activation."""
    with portal_log.recorded(portal_log.ACTIVATION, origin) as attempt, throttle.link_failures_counted(
            secret, ip=origin.ip if origin else None):
        client, session = _verify_signup(secret, attempt)
    if session is None:  # a second factor is due: the session waits for it
        return client, mfa.start(client_store.load_item(client.id), origin)
    return client, session


def _verify_signup(secret: str, attempt: portal_log.Attempt) -> tuple[Client, sessions.Session | None]:
    token_hash, token, item = tokens.redeemable(secret, tokens.VERIFY, utcnow())
    attempt.client_id, attempt.email = item.id, item.email
    now = utcnow()
    session = None if mfa.due(item) else sessions.new_session(item.id, now)
    actions = [*status_actions(item.id, ACTIVE), UserModel.activated_at.set(now), UserModel.last_login_at.set(now),
               UserModel.updated_at.set(now), UserModel.invite_token_hash.remove(),
               UserModel.sessions.set({session.key: session.value} if session else {})]
    # A link from a repeated sign-up carries that sign-up's choices (see _verify_again).
    if token.password_hash:
        actions += [UserModel.password_hash.set(token.password_hash), UserModel.password_changed_at.set(now)]
    if not item.organization_id:
        # An organization that takes sign-ups from its domain (product.md §12): joined as a client user.
        joined = organizations.joinable_by_domain(item.email or "")
        if joined is not None:
            actions += [UserModel.organization_id.set(joined.id), UserModel.role.set(CLIENT_USER)]
            actions.append(client_store.portal_switch_action(not joined.portal_enabled))
            item.organization_id, item.role = joined.id, CLIENT_USER
    terms = None
    if token.name:
        actions.append(UserModel.name.set(token.name))
        terms = client_directory.term_change(item, name=token.name, email=item.email)
        actions.append(terms.action)
        item.name = token.name
    _use_token(token, item, actions, condition=(UserModel.invite_token_hash == token_hash)
               & _unverified_signup_condition(), terms=terms)
    # What the transaction wrote: the answer needs no second read.
    item.status, item.activated_at, item.last_login_at, item.updated_at = ACTIVE, now, now, now
    return client_store.to_client(item), session


def _use_token(token: UserModel, item: UserModel, actions: list, condition: object,
               also_delete: tuple[Any, ...] = (), terms: client_directory.TermChange | None = None) -> None:
    now = utcnow()
    try:
        with TransactWrite(connection=client_store.connection()) as tx:
            tx.update(token, actions=tokens.mark_used_action(now), condition=tokens.unused_condition())
            tx.update(item, actions=actions, condition=condition)
            for other in also_delete:
                tx.delete(other)
            if terms is not None:
                terms.add_to(tx)
    except TransactWriteError:
        raise tokens.used() from None


def forgot_password(email: str, origin: portal_log.Origin | None = None) -> None:
    """Queue `portal-password-reset` for an active account or an unverified sign-up (whose
    reset also verifies it); a pending invitation is sent again instead (the client never
    set a password). Otherwise nothing, same answer. Every request counts against the email
    and the address (throttle.FORGOT). Whatever the address, the same calls: two GetItems and
    one TransactWriteItems (see `signup`), no password hash."""
    throttle.attempt(throttle.FORGOT, ip=origin.ip if origin else None, account=email)
    item = client_store.find_by_email_evenly(email)
    if item is None:
        _nothing_to_write(email_guard_id(email), UserModel.id.does_not_exist())
        return
    if item.status == INVITED:
        invitations.resend_on_request(item)
        return
    if item.status != ACTIVE and not is_unverified_signup(item):
        _nothing_to_write(item.id, UserModel.status == item.status)  # never invited, or disabled
        return
    now = utcnow()
    token = tokens.issue(item.id, tokens.RESET, RESET_TTL, now)
    message = outbox.message("portal-password-reset", item.email or "", {
        "name": item.name or "", "email": item.email, "reset_url": _portal(f"/reset?token={token.secret}"),
        "expires_in_minutes": int(RESET_TTL.total_seconds() // 60)}, reason=f"reset:{item.id}:{token.hash[:16]}")
    try:
        with TransactWrite(connection=client_store.connection()) as tx:
            tx.update(item, actions=[UserModel.reset_token_hash.set(token.hash)], condition=_resettable())
            tx.save(token.item, condition=UserModel.id.does_not_exist())
            tx.save(message, condition=OutboxModel.id.does_not_exist())
    except TransactWriteError:
        return  # disabled or removed meanwhile: nothing to send


def _resettable() -> Any:
    return (UserModel.status == ACTIVE) | _unverified_signup_condition()


def reset_password(secret: str, password: str, origin: portal_log.Origin | None = None) -> None:
    """Set a new password from a reset link; every session ends, and the account's log-in
    failures are forgotten (a throttled client gets back in this way). An unverified sign-up
    is verified too: following a link sent to the address proves the mailbox. Logged in the
    portal log."""
    with portal_log.recorded(portal_log.PASSWORD_RESET, origin) as attempt:
        _reset_password(secret, password, attempt)


def _reset_password(secret: str, password: str, attempt: portal_log.Attempt) -> None:
    token_hash, token, item = tokens.redeemable(secret, tokens.RESET, utcnow())
    attempt.client_id, attempt.email = item.id, item.email
    passwords.check_policy(password, email=item.email or "", name=item.name)
    now = utcnow()
    actions = [UserModel.password_hash.set(passwords.hash_password(password)), UserModel.password_changed_at.set(now),
               UserModel.reset_token_hash.remove(), UserModel.sessions.set({}), UserModel.updated_at.set(now),
               # no-ops for an active account; verify an unverified sign-up (its pending link dies)
               *status_actions(item.id, ACTIVE), UserModel.activated_at.set(UserModel.activated_at | now),
               UserModel.invite_token_hash.remove()]
    _use_token(token, item, actions, condition=(UserModel.reset_token_hash == token_hash) & _resettable(),
               also_delete=(throttle.account_counter(throttle.LOGIN, item.email or "", now),))


class WrongCurrentPassword(InvalidInput):
    """400 `validation_error` on `current_password`; counted as a failed log-in."""


def change_password(client: ActingClient, current: str, new: str, origin: portal_log.Origin | None = None) -> None:
    """Change the password knowing the current one; every other session ends. A wrong current
    password counts as a failed log-in (throttle.LOGIN, the account's email and the address):
    a stolen session must not become an unthrottled way to guess the password."""
    item = client_store.find_item(client.id)
    if item is None:
        raise Unauthorized("Your session has ended. Log in again.")
    with throttle.failures_counted(throttle.LOGIN, ip=origin.ip if origin else None, account=item.email or "",
                                   failures=(WrongCurrentPassword,)):
        if not passwords.verify_password(item.password_hash, current):
            raise WrongCurrentPassword("The current password is not correct.",
                                       fields={"current_password": "not correct"})
    if new == current:
        raise InvalidInput("The new password must differ from the current one.",
                           fields={"new_password": "same as the current password"})
    passwords.check_policy(new, email=item.email or "", name=item.name, field="new_password")
    now = utcnow()
    try:
        item.update(actions=[UserModel.password_hash.set(passwords.hash_password(new)),
                             UserModel.password_changed_at.set(now), UserModel.updated_at.set(now),
                             UserModel.reset_token_hash.remove(),
                             UserModel.sessions.set(sessions.keep_only(client.session_key, item))],
                    condition=UserModel.password_hash == item.password_hash)
    except UpdateError:
        raise InvalidInput("The password was changed meanwhile; try again.",
                           fields={"current_password": "changed meanwhile"}) from None


def update_profile(client: ActingClient, changes: dict) -> Client:
    allowed = {key: changes[key] for key in ("name", "phone") if key in changes}
    return clients.update_client(client.id, allowed)
