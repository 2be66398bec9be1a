"""Two-factor sign-in for clients (product.md §11): when it is due, the challenge a login gets
instead of a session, the codes that pass it, and what a client turns on or off.

- Policy: the setting `client_2fa` (`off`: never asked; `optional`: asked of clients who turned
  a method on; `required`: asked of everyone) and, unless the setting is `off`, an
  organization's `require_2fa` for its clients.
- Challenge: an item `mfa#<sha256(id)>` in the users table, for one client and one method,
  living CHALLENGE_TTL, used once, refused after MAX_TRIES wrong codes. The id goes to the
  client; only its hash is stored.
- Email code: 6 digits from `secrets`, stored as a keyed hash on the challenge, mailed
  (`portal-login-code`, priority) in the same transaction that writes the challenge.
- TOTP (RFC 6238, pyotp): the secret sealed with AES-GCM under a key derived for this purpose
  (chalicelib/keys.py), its key version beside it; the last accepted time-step is stored, so a
  code is never accepted twice. 10 single-use recovery codes, stored as keyed hashes.

A right password is told apart from a wrong one only by the `mfa_required` answer, as in every
peer: the second factor is asked only of someone who knew the password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import keys
from chalicelib.errors import Conflict, Forbidden, Gone, InvalidInput, PorticoError, TooManyRequests, Unauthorized
from chalicelib.identity import ActingClient
from chalicelib.ids import hash_secret, new_secret, utcnow
from chalicelib.models.base import get_of_kind
from chalicelib.models.outbox import OutboxModel
from chalicelib.models.users import ACTIVE, CHALLENGE_KIND, UserModel, challenge_item_id
from chalicelib.services import client_store, devices, organizations, outbox, passwords, portal_log, sessions, throttle
from chalicelib.services.client_store import Client
from chalicelib.services.portal_log import Origin
from chalicelib.services.settings import get_settings

OFF, OPTIONAL, REQUIRED = "off", "optional", "required"
EMAIL, TOTP, RECOVERY = "email", "totp", "recovery"
CHALLENGE_TTL = timedelta(minutes=10)  # also the email code's life
KEEP_AFTER_EXPIRY = timedelta(days=1)  # so a late or repeated answer still hears "used"/"expired"
MAX_TRIES = 5  # wrong codes per challenge
RECOVERY_CODE_COUNT = 10
TOTP_ISSUER = "Portico"
TOTP_STEP = 30

# Portal log events (product.md §11): every outcome of a second factor is on record.
SENT, PASSED, FAILED, LOCKED = "mfa_sent", "mfa_passed", "mfa_failed", "mfa_locked"

_SIX_DIGITS = re.compile(r"^\d{6}$")
_RECOVERY = re.compile(r"^[a-z2-7]{5}-?[a-z2-7]{5}$")


class InvalidCode(PorticoError):
    code, status, default_message = "invalid_code", 401, "The code is not correct or no longer valid."


@dataclass(frozen=True)
class Challenge:
    """What a login answers instead of a session."""

    id: str  # given to the client once, never stored
    method: str
    methods: tuple[str, ...]
    expires_at: datetime


# --- policy ---------------------------------------------------------------------------

def _totp_on(item: UserModel) -> bool:
    return bool(item.totp_secret and item.totp_confirmed)


def methods_on(item: UserModel) -> list[str]:
    on = [EMAIL] if item.mfa_email else []
    return [*on, TOTP] if _totp_on(item) else on


def required_for(item: UserModel) -> bool:
    """Whether the client may not go without a second factor (setting or organization)."""
    mode = get_settings().client_2fa
    if mode == REQUIRED:
        return True
    if mode == OFF or not item.organization_id:
        return False
    return organizations.requires_2fa(item.organization_id)


def due(item: UserModel) -> bool:
    """Whether logging in as this client needs a second factor now. Reads the organization
    (one GetItem) only when the setting alone does not decide."""
    mode = get_settings().client_2fa
    if mode == OFF:
        return False
    if mode == REQUIRED or methods_on(item):
        return True
    return required_for(item)


# --- challenges -----------------------------------------------------------------------

def _code_hash(code: str, salt: str, version: int | None = None) -> str:
    return hmac.new(keys.derive("mfa-code", version), f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def challenge_if_due(item: UserModel, device: str | None, origin: Origin | None) -> Challenge | None:
    """A new challenge when a second factor is due and this browser is not a remembered
    device of the client's; None when the password alone lets the client in."""
    if not due(item) or devices.remembered(item, device):
        return None
    return start(item, origin)


def start(item: UserModel, origin: Origin | None) -> Challenge:
    """Write a challenge for this client (and mail its code when the method is email): one
    write, the challenge and its email in one transaction."""
    now = utcnow()
    secret = new_secret()
    challenge_hash = hash_secret(secret)
    method = TOTP if _totp_on(item) else EMAIL
    expires = now + CHALLENGE_TTL
    # password_changed_at: a password changed or reset meanwhile ends the challenge too.
    challenge = UserModel(challenge_item_id(challenge_hash), kind=CHALLENGE_KIND, user_id=item.id, method=method,
                          tries=0, expires_at=expires, password_changed_at=item.password_changed_at,
                          expires_ttl=math.ceil((expires + KEEP_AFTER_EXPIRY).timestamp()))
    if method == EMAIL:
        code = f"{secrets.randbelow(10 ** 6):06d}"
        challenge.code_hash = _code_hash(code, challenge_hash)
        message = outbox.message("portal-login-code", item.email or "", {
            "code": code, "name": item.name or "", "expires_in_minutes": int(CHALLENGE_TTL.total_seconds() // 60)},
            reason=f"mfa:{challenge_hash[:32]}", priority=True)
        with TransactWrite(connection=client_store.connection()) as tx:
            tx.save(challenge, condition=UserModel.id.does_not_exist())
            tx.save(message, condition=OutboxModel.id.does_not_exist())
        portal_log.record(SENT, portal_log.SUCCESS, origin=origin, client_id=item.id, email=item.email)
    else:
        challenge.save(condition=UserModel.id.does_not_exist())
    return Challenge(secret, method, (TOTP, RECOVERY) if method == TOTP else (EMAIL,), expires)


def _expired() -> Gone:
    return Gone("This sign-in has expired. Log in again.", code="token_expired")


def _used() -> Gone:
    return Gone("This sign-in was already completed. Log in again.", code="token_used")


def _load_challenge(secret: str, now: datetime) -> tuple[str, UserModel]:
    if not secret or len(secret) > 200:
        raise _expired()
    challenge_hash = hash_secret(secret)
    challenge = get_of_kind(UserModel, challenge_item_id(challenge_hash), CHALLENGE_KIND)
    if challenge is None:
        raise _expired()
    if challenge.used_at is not None:
        raise _used()
    if challenge.expires_at is None or challenge.expires_at <= now:
        raise _expired()
    return challenge_hash, challenge


@dataclass(frozen=True)
class Passed:
    client: Client
    session: sessions.Session
    device_cookie: tuple[str, datetime] | None  # (value, expiry) when the device is to be remembered


def complete(secret: str, code: str, *, remember_device: bool = False, origin: Origin | None = None) -> Passed:
    """Pass a challenge with its code: the session starts now. Wrong codes count against the
    challenge (MAX_TRIES) and the login throttle's counters of the account and the address."""
    now = utcnow()
    ip = origin.ip if origin else None
    challenge_hash, challenge = _load_challenge(secret, now)
    item = client_store.find_item(challenge.user_id or "")
    if item is None or item.status != ACTIVE or item.password_changed_at != challenge.password_changed_at:
        raise _expired()
    log = {"origin": origin, "client_id": item.id, "email": item.email}
    try:
        if int(challenge.tries or 0) >= MAX_TRIES:
            raise TooManyRequests("Too many wrong codes. Log in again.", retry_after=1)
        throttle.check(throttle.LOGIN, ip=ip, account=item.email, now=now)
    except TooManyRequests:
        portal_log.record(LOCKED, portal_log.FAILURE, reason="throttled", **log)
        raise
    code = (code or "").strip().lower().replace(" ", "")
    actions = _accepting_actions(item, challenge, challenge_hash, code, now)
    if actions is None:
        _count_wrong_code(challenge, item, ip, now)
        portal_log.record(FAILED, portal_log.FAILURE, reason="invalid_code", **log)
        raise InvalidCode()
    step_actions, condition = actions
    session = sessions.new_session(item.id, now)
    update = [*sessions.add_session_actions(item, session, now), UserModel.last_login_at.set(now), *step_actions]
    base = (UserModel.status == ACTIVE) & (UserModel.sessions.exists() if item.sessions is not None
                                           else UserModel.sessions.does_not_exist())
    if item.password_changed_at is not None:
        base &= UserModel.password_changed_at == item.password_changed_at
    try:
        with TransactWrite(connection=client_store.connection()) as tx:
            tx.update(challenge, actions=[UserModel.used_at.set(now)],
                      condition=UserModel.used_at.does_not_exist() & (UserModel.tries < MAX_TRIES))
            tx.update(item, actions=update, condition=base & condition if condition is not None else base)
    except TransactWriteError as error:
        reasons = [getattr(r, "code", None) for r in (getattr(error, "cancellation_reasons", None) or [])]
        if reasons and reasons[0] == "ConditionalCheckFailed":
            raise _used() from None
        # The code's step or recovery code was used meanwhile by another request: a replay.
        portal_log.record(FAILED, portal_log.FAILURE, reason="invalid_code", **log)
        raise InvalidCode() from None
    item.last_login_at = now
    portal_log.record(PASSED, portal_log.SUCCESS, **log)
    cookie = devices.issue(item, now) if remember_device else None
    return Passed(client_store.to_client(item), session, cookie)


def _count_wrong_code(challenge: UserModel, item: UserModel, ip: str | None, now: datetime) -> None:
    try:
        challenge.update(actions=[UserModel.tries.add(1)])
    except UpdateError:
        pass  # the throttle counters still count it
    throttle.count_failure(throttle.LOGIN, ip=ip, account=item.email, now=now)


def _accepting_actions(item: UserModel, challenge: UserModel, challenge_hash: str, code: str, now: datetime
                       ) -> tuple[list[Any], Any] | None:
    """(update actions, condition) that spend `code` on the client item, or None when the code
    does not pass this challenge."""
    if challenge.method == EMAIL:
        if _SIX_DIGITS.match(code) and challenge.code_hash and hmac.compare_digest(
                challenge.code_hash, _code_hash(code, challenge_hash)):
            return [], None
        return None
    if _SIX_DIGITS.match(code):
        step = _totp_step(item, code, now)
        if step is None:
            return None
        return _step_spent(step)
    if _RECOVERY.match(code):
        stored = _recovery_match(item, code)
        if stored is None:
            return None
        return [UserModel.recovery_codes.delete({stored})], UserModel.recovery_codes.contains(stored)
    return None


def _step_spent(step: int) -> tuple[list[Any], Any]:
    """Record `step` as used, on condition no later or equal step was used meanwhile."""
    condition = UserModel.totp_last_step.does_not_exist() | (UserModel.totp_last_step < step)
    return [UserModel.totp_last_step.set(step)], condition


# --- TOTP -----------------------------------------------------------------------------

def _aesgcm(version: int) -> Any:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # lazy: cold start

    return AESGCM(keys.derive("totp-secret", version))


def _seal(client_id: str, secret: str) -> tuple[str, int]:
    version = keys.current_version()
    nonce = os.urandom(12)
    sealed = _aesgcm(version).encrypt(nonce, secret.encode(), client_id.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode(), version


def _unseal(item: UserModel) -> str:
    raw = base64.urlsafe_b64decode(item.totp_secret or "")
    return _aesgcm(int(item.totp_key_version or 1)).decrypt(raw[:12], raw[12:], item.id.encode()).decode()


def _totp(secret: str) -> Any:
    import pyotp  # lazy: cold start

    return pyotp.TOTP(secret, digits=6, interval=TOTP_STEP)


def _totp_step(item: UserModel, code: str, now: datetime) -> int | None:
    """The time-step whose code `code` is (now, or one step either side for clock drift), if
    it is later than the last one accepted; None otherwise."""
    if not item.totp_secret:
        return None
    try:
        totp = _totp(_unseal(item))
    except (keys.UnknownKeyVersion, ValueError, Exception):
        return None
    last = int(item.totp_last_step) if item.totp_last_step is not None else -1
    for drift in (0, -1, 1):
        moment = now + timedelta(seconds=drift * TOTP_STEP)
        step = totp.timecode(moment)
        if step > last and hmac.compare_digest(totp.at(moment), code):
            return step
    return None


@dataclass(frozen=True)
class Enrolment:
    secret: str
    otpauth_uri: str
    qr_svg: str


def _allowed() -> None:
    if get_settings().client_2fa == OFF:
        raise Forbidden("Two-factor sign-in is not offered on this portal.")


def _own_item(client: ActingClient) -> UserModel:
    item = client_store.find_item(client.id)
    if item is None or item.status != ACTIVE:
        raise Unauthorized("Your session has ended. Log in again.")
    return item


def enrol_totp(client: ActingClient) -> Enrolment:
    """Start (or restart) enrolling an authenticator app: a new secret, not yet in force."""
    import pyotp  # lazy: cold start

    item = _own_item(client)
    _allowed()
    if _totp_on(item):
        raise Conflict("An authenticator app is already set up; turn two-factor off first to replace it.")
    secret = pyotp.random_base32()
    sealed, version = _seal(item.id, secret)
    try:
        item.update(actions=[UserModel.totp_secret.set(sealed), UserModel.totp_key_version.set(version),
                             UserModel.totp_confirmed.set(False)],
                    condition=(UserModel.status == ACTIVE) & (UserModel.totp_confirmed.does_not_exist()
                                                              | (UserModel.totp_confirmed == False)))  # noqa: E712
    except UpdateError:
        raise Conflict("An authenticator app is already set up.") from None
    uri = _totp(secret).provisioning_uri(name=item.email or item.id, issuer_name=TOTP_ISSUER)
    return Enrolment(secret, uri, qr_svg(uri))


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (segno: pure Python, nothing loaded by the browser)."""
    import io

    import segno  # lazy: cold start

    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True,
                                    title="Authenticator app QR code")
    return buffer.getvalue().decode()


def _recovery_hash(code: str, version: int) -> str:
    normal = code.replace("-", "")
    digest = hmac.new(keys.derive("recovery-code", version), normal.encode(), hashlib.sha256).hexdigest()
    return f"{version}:{digest}"


def _recovery_match(item: UserModel, code: str) -> str | None:
    stored = set(item.recovery_codes or ())
    for version in {int(value.partition(":")[0]) for value in stored}:
        try:
            candidate = _recovery_hash(code, version)
        except keys.UnknownKeyVersion:
            continue
        if candidate in stored:
            return candidate
    return None


def _new_recovery_codes() -> list[str]:
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def confirm_totp(client: ActingClient, code: str) -> list[str]:
    """Confirm the enrolment with a first code: the app is in force, and the client gets its
    recovery codes (shown this once; only their hashes are kept)."""
    item = _own_item(client)
    _allowed()
    if _totp_on(item):
        raise Conflict("The authenticator app is already confirmed.")
    if not item.totp_secret:
        raise Conflict("Start the enrolment first.")
    code = (code or "").strip().replace(" ", "")
    step = _totp_step(item, code, utcnow()) if _SIX_DIGITS.match(code) else None
    if step is None:
        raise InvalidCode()
    codes = _new_recovery_codes()
    version = keys.current_version()
    try:
        item.update(actions=[UserModel.totp_confirmed.set(True), UserModel.totp_last_step.set(step),
                             UserModel.recovery_codes.set({_recovery_hash(c, version) for c in codes})],
                    condition=(UserModel.totp_secret == item.totp_secret) & (UserModel.totp_confirmed == False))  # noqa: E712
    except UpdateError:
        raise Conflict("The enrolment changed meanwhile; start again.") from None
    return codes


def enable_email(client: ActingClient) -> dict[str, Any]:
    item = _own_item(client)
    _allowed()
    item.update(actions=[UserModel.mfa_email.set(True)], condition=UserModel.status == ACTIVE)
    return status_of(item)


def disable(client: ActingClient, password: str) -> dict[str, Any]:
    """Turn every method off (knowing the password); remembered devices are forgotten. Not
    while two-factor is required of the client (409)."""
    item = _own_item(client)
    if not passwords.verify_password(item.password_hash, password):
        raise InvalidInput("The password is not correct.", fields={"password": "not correct"})
    if required_for(item):
        raise Conflict("Two-factor sign-in is required for your account; it cannot be turned off.")
    item.update(actions=[UserModel.mfa_email.remove(), UserModel.totp_secret.remove(),
                         UserModel.totp_key_version.remove(), UserModel.totp_confirmed.remove(),
                         UserModel.recovery_codes.remove(), devices.forget_all_action()],
                condition=UserModel.password_hash == item.password_hash)
    return status_of(item)


def status(client: ActingClient) -> dict[str, Any]:
    return status_of(_own_item(client))


def status_of(item: UserModel) -> dict[str, Any]:
    mode = get_settings().client_2fa
    return {"policy": mode, "required": mode != OFF and required_for(item), "methods": methods_on(item),
            "totp_pending": bool(item.totp_secret) and not _totp_on(item),
            "recovery_codes_left": len(item.recovery_codes or ()) if _totp_on(item) else 0}
