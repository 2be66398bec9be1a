"""The throttle table: one counter per (action, who, fixed time window), shared by every
Lambda container. Counters are bumped with UpdateItem ADD (atomic) and clean themselves
up with DynamoDB TTL once their window is over.

`id` = `<action>#<ip|account>#<sha256(subject)[:32]>#<window number>`: the address or email
is stored only as a hash.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class ThrottleModel(Model):
    Meta = table_meta("throttle")
    Meta.ttl_attribute = "expires_ttl"

    id = UnicodeAttribute(hash_key=True)
    count = NumberAttribute(default=0)
    expires_ttl = NumberAttribute(null=True)  # DynamoDB TTL: a while after the window ends
