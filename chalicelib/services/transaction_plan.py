"""A write as data: what one change saves, creates, updates and deletes, and the mail it
queues, listed first and then written in one DynamoDB transaction (all or nothing).

The ticket services decide by filling a plan; `TransactionPlan.write` is their only I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pynamodb.constants import ALL_OLD
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.models.outbox import OutboxModel
from chalicelib.services.idempotency import unclaimed_condition


@dataclass(frozen=True)
class ItemUpdate:
    """UpdateItem actions on `item`, refused unless `condition` holds (a versioned model also
    checks its version)."""

    item: Model
    actions: list[Any]
    condition: Any = None


@dataclass
class TransactionPlan:
    saves: list[Model] = field(default_factory=list)  # written whole (a versioned model checks its version)
    creates: list[Model] = field(default_factory=list)  # written only if no item has that key yet
    updates: list[ItemUpdate] = field(default_factory=list)
    deletes: list[Model] = field(default_factory=list)
    messages: list[OutboxModel] = field(default_factory=list)  # queued mail; an id already queued fails the write
    # The request's Idempotency-Key record with its answer (services/idempotency.py WriteOnce):
    # written first, only while the key is unclaimed; when claimed, the failure carries the
    # stored record (ALL_OLD) and WriteOnce.raise_if_claimed replays it.
    idempotency: Model | None = None

    def write(self, connection: Any) -> None:
        """Raises pynamodb's TransactWriteError when any condition fails: then nothing was written."""
        with TransactWrite(connection=connection) as tx:
            if self.idempotency is not None:
                tx.save(self.idempotency, condition=unclaimed_condition(), return_values=ALL_OLD)
            for item in self.creates:
                tx.save(item, condition=_absent(item))
            for item in self.saves:
                tx.save(item)
            for update in self.updates:
                tx.update(update.item, actions=update.actions, condition=update.condition)
            for item in self.deletes:
                tx.delete(item)
            for message in self.messages:
                tx.save(message, condition=OutboxModel.id.does_not_exist())


def _absent(item: Model) -> Any:
    """No item with this key yet (the range key, when the table has one, names the item)."""
    key = type(item)._range_key_attribute() or type(item)._hash_key_attribute()
    return key.does_not_exist()
