"""The table Powertools' idempotency utility keeps its records in (its own schema:
hash key `id`, TTL `expiration`). Declared here so the local stack, tests and infra
create it like every other table."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class IdempotencyRecord(Model):
    Meta = table_meta("idempotency")
    Meta.ttl_attribute = "expiration"

    id = UnicodeAttribute(hash_key=True)
    expiration = NumberAttribute(null=True)
    status = UnicodeAttribute(null=True)
    data = UnicodeAttribute(null=True)
    validation = UnicodeAttribute(null=True)
