"""The client portal log (product.md §5): every login attempt, activation, password reset
and impersonation, kept 400 days (DynamoDB TTL).

Keys are chosen for the one read, `GET /agent/portal-log`, newest first in a time range:
  - the table: hash `subject` (the client id; for an attempt naming no known account,
    `email#<lowercased email>`, else `ip#<address>`), range `at`: one client's events are
    one Query;
  - the `by_time` index: hash `feed` ("all#<shard>", over PORTICO_INDEX_SHARDS shards,
    models/shards.py), range `at`: everyone's events are one Query per shard, read in
    parallel and merged (one index partition takes ~1,000 writes a second).

`at` is the event time, ISO with microseconds, then `#` and a random suffix, so it sorts by
time as text and two events in the same microsecond do not overwrite each other.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import index_meta, table_meta
from chalicelib.models.shards import sharded

FEED = "all"


def feed_key(subject: str, at: str) -> str:
    """The event's `by_time` partition key: its shard is derived from its own key."""
    return sharded(FEED, f"{subject}\0{at}")


class LogByTime(GlobalSecondaryIndex):
    """Every event, in time order: the agents' list without a client filter."""

    Meta = index_meta("by_time")

    feed = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)


class PortalLogModel(Model):
    Meta = table_meta("portal_log")
    Meta.ttl_attribute = "expires_ttl"

    subject = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)
    feed = UnicodeAttribute(null=True)  # feed_key(subject, at), filled in when the event is saved
    event = UnicodeAttribute()  # login | activation | password_reset | impersonation | write_refused | session_refused
    outcome = UnicodeAttribute()  # success | failure
    reason = UnicodeAttribute(null=True)  # why it failed, e.g. wrong_password, throttled
    client_id = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)  # as given on a login attempt, or the client's
    ip = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    agent = UnicodeAttribute(null=True)  # the impersonating agent
    expires_ttl = NumberAttribute()  # DynamoDB TTL: 400 days after the event

    by_time = LogByTime()

    def serialize(self, null_check: bool = True) -> dict:
        # Every writer (the service, a seed, a backfill) gets the shard right: it is the key's.
        if self.feed is None and self.subject and self.at:
            self.feed = feed_key(self.subject, self.at)
        return super().serialize(null_check=null_check)
