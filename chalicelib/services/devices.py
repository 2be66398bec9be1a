"""'Remember this device' (product.md §11): a signed cookie that lets one client skip the
second factor on one browser for 30 days.

The cookie is `<client id>.<key version>.<expiry>.<HMAC>`; the HMAC (a key derived for this
purpose only, chalicelib/keys.py) covers the client id, the expiry and the client's *device
state*: its `device_epoch` counter and when its password last changed. So a password change
or reset, turning two-factor off and an agent disabling the client (which bump the counter)
each end every remembered device at once, with nothing stored per device.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import datetime, timedelta

from chalicelib import keys
from chalicelib.ids import utcnow
from chalicelib.models.users import UserModel

REMEMBER_FOR = timedelta(days=30)
PURPOSE = "device-cookie"


def _state(item: UserModel) -> str:
    changed = item.password_changed_at.timestamp() if item.password_changed_at else 0
    return f"{int(item.device_epoch or 0)}:{changed:.6f}"


def _signature(item: UserModel, version: int, expires: int) -> str:
    message = f"{item.id}.{expires}.{_state(item)}".encode()
    return hmac.new(keys.derive(PURPOSE, version), message, hashlib.sha256).hexdigest()[:43]


def issue(item: UserModel, now: datetime | None = None) -> tuple[str, datetime]:
    """A cookie value for this client's current device state, and when it expires."""
    expires_at = (now or utcnow()) + REMEMBER_FOR
    expires = math.floor(expires_at.timestamp())
    version = keys.current_version()
    return f"{item.id}.{version}.{expires}.{_signature(item, version, expires)}", expires_at


def client_id_of(value: str | None) -> str | None:
    """Whose device a cookie claims to be (unchecked): compare before trusting it."""
    if not value or len(value) > 200 or value.count(".") != 3:
        return None
    return value.split(".", 1)[0] or None


def remembered(item: UserModel, value: str | None, now: datetime | None = None) -> bool:
    """True when `value` is a live cookie this client was given for its current device state."""
    if client_id_of(value) != item.id:
        return False
    _, version, expires, signature = (value or "").split(".")
    if not version.isdigit() or not expires.isdigit() or int(expires) <= (now or utcnow()).timestamp():
        return False
    try:
        expected = _signature(item, int(version), int(expires))
    except keys.UnknownKeyVersion:
        return False
    return hmac.compare_digest(expected, signature)


def forget_all_action() -> object:
    """The update action that ends every remembered device of a client."""
    return UserModel.device_epoch.add(1)
