"""The users table: portal clients, the guard items that keep emails unique, and the
single-use tokens (activation, sign-up verification, password reset).

Four kinds of item share the table, told apart by their id:
  - `<ULID>`               a client (kind = "client");
  - `email#<lower email>`  a guard written in the same transaction as its client, on
                           condition it does not exist: two concurrent creates with the
                           same email cannot both win; login finds a client through it;
  - `token#<sha256>`       a single-use token, stored only as the hash of its secret;
  - `term#<client>#<word>`  one per word of a client's normalized name and for their email
                           (kind = "term"): the agents' directory search (`?q=`) reads the
                           `by_term` index, keyed by the word's first two letters
                           (services/client_directory.py);
  - `suppress#<lower email>` what SES feedback says about an address (bounces, complaints):
                           the mail delivery reads it with one GetItem before each send
                           (services/mail_feedback.py). Any address, client or not.
  - `<ULID>`               a colleague invitation pending for an address that has an account
                           elsewhere (kind = "colleague_invite"): in its organization's list
                           (`by_organization`) like an invited client; in no other index.
  - `mfa#<sha256>`         a two-factor challenge (services/mfa.py): short-lived, single use,
                           stored only as the hash of the id the client holds.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.models.base import UTCDateTime, index_meta, table_meta
from chalicelib.models.shards import sharded

CLIENT_KIND = "client"
TERM_KIND = "term"
TOKEN_KIND = "token"
ADDRESS_KIND = "address"
COLLEAGUE_INVITE_KIND = "colleague_invite"
CHALLENGE_KIND = "mfa_challenge"
REMINDER_DUE = "due"

# Client states (product.md §1)
INACTIVE, INVITED, ACTIVE, DISABLED = "inactive", "invited", "active", "disabled"
CLIENT_USER, CLIENT_ADMIN = "client_user", "client_admin"


# What the clients' index entries carry: keys and what the lists filter on. The lists read the
# items themselves in one BatchGet (client_store.items_of), so a log-in or log-out (which
# changes only `sessions` and `last_login_at`) writes no index entry at all.
LIST_PROJECTION = ("kind", "status", "invite_status")


class ClientsByEmail(GlobalSecondaryIndex):
    """Every client in email order: the agents' unfiltered list, over PORTICO_INDEX_SHARDS
    shards (models/shards.py)."""

    Meta = index_meta("by_kind_shard_email", IncludeProjection(list(LIST_PROJECTION)))

    kind_shard = UnicodeAttribute(hash_key=True)  # "<kind>#<shard>"
    email_lower = UnicodeAttribute(range_key=True)


class ClientsByOrganization(GlobalSecondaryIndex):
    """The clients of one organization (client admins' colleagues, agents' filter)."""

    Meta = index_meta("by_organization_v2", IncludeProjection(list(LIST_PROJECTION)))

    organization_id = UnicodeAttribute(hash_key=True)
    email_lower = UnicodeAttribute(range_key=True)


class ClientsByStatus(GlobalSecondaryIndex):
    """The agents' status filter (`?status=invited`), over PORTICO_INDEX_SHARDS shards."""

    Meta = index_meta("by_status_shard_email", IncludeProjection(list(LIST_PROJECTION)))

    status_shard = UnicodeAttribute(hash_key=True)  # "<status>#<shard>"
    email_lower = UnicodeAttribute(range_key=True)


class ClientsByTerm(GlobalSecondaryIndex):
    """Term items only: hash the first two letters of a word (`term_shard`), range
    "<word>#<client id>": a word-prefix search is one Query within one of ~1,300 keys."""

    Meta = index_meta("by_term", KeysOnlyProjection())

    term_shard = UnicodeAttribute(hash_key=True)
    term_key = UnicodeAttribute(range_key=True)


class RemindersDue(GlobalSecondaryIndex):
    """Sparse: only invited clients with a reminder still to send carry `reminder_queue`,
    so the hourly resend job reads pending invitations and nothing else."""

    Meta = index_meta("reminders_due")

    reminder_queue = UnicodeAttribute(hash_key=True)
    next_reminder_at = UnicodeAttribute(range_key=True)  # ISO time; sorts as text


class UserModel(Model):
    Meta = table_meta("users")
    Meta.ttl_attribute = "expires_ttl"

    id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(null=True)

    # client
    email = UnicodeAttribute(null=True)  # as given
    email_lower = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    organization_id = UnicodeAttribute(null=True)
    role = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    signup = UnicodeAttribute(null=True)  # "self" when the client signed up on a public portal
    password_hash = UnicodeAttribute(null=True)
    password_changed_at = UTCDateTime(null=True)
    # Sessions live on the client item: {sha256(secret)[:32]: {"exp": epoch, "ro": 0|1, "agent": str}}
    # so a portal request is authenticated with one GetItem, and ending every session is one write.
    # No index entry carries them (LIST_PROJECTION): a log-in or log-out rewrites this item only.
    sessions = MapAttribute(null=True)
    # A copy of the organization's portal switch (True: switched off), written on every client of
    # the organization when it changes: a session is refused with the one GetItem that reads it.
    organization_portal_off = BooleanAttribute(null=True)
    # An email change waiting for its verification link (the address it will become).
    pending_email = UnicodeAttribute(null=True)
    # Lowercased words of the name and the email, for the agents' directory search (term items).
    search_terms = UnicodeAttribute(null=True)
    # The one activation / reset token currently valid (its hash): a new one replaces it.
    invite_token_hash = UnicodeAttribute(null=True)
    reset_token_hash = UnicodeAttribute(null=True)
    email_token_hash = UnicodeAttribute(null=True)  # the link that confirms `pending_email`
    invited_at = UTCDateTime(null=True)
    invited_by = UnicodeAttribute(null=True)
    activated_at = UTCDateTime(null=True)
    last_login_at = UTCDateTime(null=True)
    reminders_sent = NumberAttribute(null=True)
    last_reminder_at = UTCDateTime(null=True)
    reminder_queue = UnicodeAttribute(null=True)
    next_reminder_at = UnicodeAttribute(null=True)
    created_at = UTCDateTime(null=True)
    updated_at = UTCDateTime(null=True)
    # two-factor (services/mfa.py, services/devices.py)
    mfa_email = BooleanAttribute(null=True)  # email codes turned on by the client
    totp_secret = UnicodeAttribute(null=True)  # sealed (AES-GCM), under key version `totp_key_version`
    totp_key_version = NumberAttribute(null=True)
    totp_confirmed = BooleanAttribute(null=True)  # false while enrolment awaits its first code
    totp_last_step = NumberAttribute(null=True)  # the last time-step accepted: never twice
    recovery_codes = UnicodeSetAttribute(null=True)  # keyed hashes of the unused recovery codes
    device_epoch = NumberAttribute(null=True)  # bumped to forget every remembered device

    # client (a copy, for display) and address item (the truth): ok | bouncing | complained
    email_status = UnicodeAttribute(null=True)
    email_status_since = UTCDateTime(null=True)
    # address item: feedback counts and who cleared it last
    hard_bounces = NumberAttribute(null=True)
    soft_bounces = NumberAttribute(null=True)
    complaints = NumberAttribute(null=True)
    last_feedback_at = UTCDateTime(null=True)
    cleared_by = UnicodeAttribute(null=True)
    # colleague invitation: "invited" or "disabled" (a client admin withdrew it); not `status`,
    # so the agents' status index holds clients only
    invite_status = UnicodeAttribute(null=True)

    # the sharded index keys of a client or an invitation (serialize, status_actions)
    kind_shard = UnicodeAttribute(null=True)
    status_shard = UnicodeAttribute(null=True)

    # guard: the client that owns this email (term: the client the word belongs to)
    owner_id = UnicodeAttribute(null=True)

    # term
    term_shard = UnicodeAttribute(null=True)
    term_key = UnicodeAttribute(null=True)

    # token
    purpose = UnicodeAttribute(null=True)  # activation | verify | reset | email_change
    user_id = UnicodeAttribute(null=True)
    expires_at = UTCDateTime(null=True)
    used_at = UTCDateTime(null=True)
    # mfa challenge
    method = UnicodeAttribute(null=True)  # email | totp
    code_hash = UnicodeAttribute(null=True)  # an email code's keyed hash
    tries = NumberAttribute(null=True)  # wrong codes so far
    expires_ttl = NumberAttribute(null=True)  # DynamoDB TTL: tokens clean themselves up

    by_kind_email = ClientsByEmail()
    by_organization = ClientsByOrganization()
    by_status = ClientsByStatus()
    reminders_due = RemindersDue()
    by_term = ClientsByTerm()

    def serialize(self, null_check: bool = True) -> dict:
        # A client or an invitation saved whole carries its shard keys, whoever saves it;
        # updates that change the status use status_actions().
        if self.id and self.email_lower and self.kind:
            self.kind_shard = sharded(self.kind, self.id)
            self.status_shard = sharded(self.status, self.id) if self.status else None
        return super().serialize(null_check=null_check)


def status_actions(client_id: str, status: str) -> list[Any]:
    """Update actions that set a client's status, its sharded index key with it."""
    return [UserModel.status.set(status), UserModel.status_shard.set(sharded(status, client_id))]


def email_guard_id(email: str) -> str:
    return f"email#{email.strip().lower()}"


def address_item_id(email: str) -> str:
    return f"suppress#{email.strip().lower()}"


def token_item_id(token_hash: str) -> str:
    return f"token#{token_hash}"


def challenge_item_id(challenge_hash: str) -> str:
    return f"mfa#{challenge_hash}"
