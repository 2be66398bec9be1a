"""Write units per request: every item a request writes, and the index entries DynamoDB writes
for it, from the indexes the app's PynamoDB models declare.

`recording()` collects, for each write call (PutItem, UpdateItem, DeleteItem, BatchWriteItem,
TransactWriteItems), each item's image before and after, read straight from the in-process
moto backend (no counted call). `units(record)` then prices one item the way DynamoDB
bills on-demand writes, approximately:

- the base item: ceil(KB) of the larger of its images (1 KB per unit, at least 1);
- each secondary index (global or local) of the table, read from `Model._get_schema()`:
  nothing when the item has the index's key attributes in neither image; one write of the
  projected entry (ALL: the item; KEYS_ONLY: the keys; INCLUDE: the keys and the named
  attributes) when it enters, leaves or changes there; two when its index key changes
  (the old entry deleted, the new one put). An entry's size is its projected attributes plus
  the 100 bytes DynamoDB adds to every index entry (INDEX_ENTRY_OVERHEAD).

A transactional write bills the base item twice (two-phase commit); index entries once. Both
figures are kept: `units` (what the write amplification issue counts) and `billed`.
The indexes come from the models at run time, so a change of projection or of key (shards)
shows in the next run without touching this file.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
KB = 1024
INDEX_ENTRY_OVERHEAD = 100  # bytes DynamoDB adds to each index entry


@dataclass(frozen=True)
class Index:
    table: str  # logical name
    name: str
    keys: tuple[str, ...]  # hash key, then range key
    projection: str  # ALL | KEYS_ONLY | INCLUDE
    included: tuple[str, ...] = ()

    @property
    def hash_key(self) -> str:
        return self.keys[0]

    def holds(self, image: dict[str, Any] | None) -> bool:
        """Whether an item with this image has an entry here (a sparse index: all its keys set)."""
        return image is not None and all(k in image for k in self.keys)


@dataclass(frozen=True)
class Table:
    logical: str
    physical: str
    keys: tuple[str, ...]
    indexes: tuple[Index, ...]


@cache
def tables() -> dict[str, Table]:
    """Physical table name -> its keys and secondary indexes, from the app's models."""
    from chalicelib.models import table_models

    found = {}
    for logical, model in table_models().items():
        schema = model._get_schema()
        keys = tuple(k["AttributeName"] for k in sorted(schema["key_schema"], key=lambda k: k["KeyType"]))
        indexes = []
        for raw in (*schema.get("global_secondary_indexes", []), *schema.get("local_secondary_indexes", [])):
            index_keys = tuple(k["AttributeName"] for k in sorted(raw["key_schema"], key=lambda k: k["KeyType"]))
            projection = raw.get("projection", {})
            indexes.append(Index(logical, raw["index_name"], index_keys, projection.get("ProjectionType", "ALL"),
                                 tuple(projection.get("NonKeyAttributes", ()))))
        found[model.Meta.table_name] = Table(logical, model.Meta.table_name, keys, tuple(indexes))
    return found


@dataclass
class ItemWrite:
    """One item one write call touched: its images before and after (DynamoDB JSON)."""

    table: str  # physical
    operation: str
    transactional: bool
    old: dict[str, Any] | None
    new: dict[str, Any] | None = None


@dataclass
class Writes:
    items: list[ItemWrite] = field(default_factory=list)
    failed_calls: int = 0  # write calls that were refused (a condition): nothing written

    def priced(self) -> list[tuple[ItemWrite, int, int, list[tuple[Index, int]]]]:
        """(item, base units, billed base units, [(index, units)]) for each item written."""
        return [price(item) for item in self.items]

    def summary(self) -> dict[str, Any]:
        items = indexes = units = billed = 0
        by_table: Counter = Counter()
        by_index: Counter = Counter()
        for item, base, billed_base, entries in self.priced():
            logical = tables()[item.table].logical if item.table in tables() else item.table
            items += 1
            units += base + sum(u for _, u in entries)
            billed += billed_base + sum(u for _, u in entries)
            by_table[logical] += base
            for index, entry_units in entries:
                indexes += 1
                by_index[f"{logical}.{index.name}"] += entry_units
        return {"items": items, "index_entries": indexes, "writes": items + indexes, "units": units,
                "billed_units": billed, "failed_calls": self.failed_calls,
                "base_units_by_table": dict(sorted(by_table.items())),
                "index_units_by_index": dict(sorted(by_index.items()))}


def item_size(image: dict[str, Any] | None) -> int:
    """DynamoDB's item size: attribute names plus values (numbers ~1 byte per 2 digits)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in (image or {}).items())


def _value_size(value: dict[str, Any]) -> int:
    (kind, raw), = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        return math.ceil(len(raw.lstrip("-").replace(".", "")) / 2) + 1
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: v}) for v in raw)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in raw)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in raw.items())
    return len(json.dumps(raw))


def _kb_units(size: int) -> int:
    return max(1, math.ceil(size / KB))


def _projected(index: Index, table: Table, image: dict[str, Any]) -> dict[str, Any]:
    if index.projection == "ALL":
        return image
    names = set(index.keys) | set(table.keys) | (set(index.included) if index.projection == "INCLUDE" else set())
    return {k: v for k, v in image.items() if k in names}


def _entry_units(index: Index, table: Table, image: dict[str, Any]) -> int:
    return _kb_units(item_size(_projected(index, table, image)) + INDEX_ENTRY_OVERHEAD)


def index_entries(table: Table, old: dict[str, Any] | None, new: dict[str, Any] | None
                  ) -> list[tuple[Index, int]]:
    """[(index, write units)] for the indexes an item's change writes to."""
    entries = []
    for index in table.indexes:
        was, now = index.holds(old), index.holds(new)
        if not was and not now:
            continue
        if was and now:
            if any(old[k] != new[k] for k in index.keys):  # type: ignore[index]
                entries.append((index, _entry_units(index, table, old)  # type: ignore[arg-type]
                                + _entry_units(index, table, new)))  # type: ignore[arg-type]
            elif _projected(index, table, old) != _projected(index, table, new):  # type: ignore[arg-type]
                entries.append((index, _entry_units(index, table, new)))  # type: ignore[arg-type]
            continue
        image = new if now else old
        entries.append((index, _entry_units(index, table, image)))  # type: ignore[arg-type]
    return entries


def price(item: ItemWrite) -> tuple[ItemWrite, int, int, list[tuple[Index, int]]]:
    base = _kb_units(max(item_size(item.old), item_size(item.new)))
    billed = base * (2 if item.transactional else 1)
    table = tables().get(item.table)
    return item, base, billed, index_entries(table, item.old, item.new) if table else []


# --- recording, from the botocore hooks of bench/dynamo.py -------------------------------------

_active: list[Writes] = []
_lock = threading.Lock()


def _backend() -> Any:
    from bench.seed import _backend as moto_backend

    return moto_backend()


def _targets(operation: str, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(table, key-or-item) for every item a write call names."""
    if operation in ("PutItem",):
        return [(body["TableName"], body["Item"])]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(body["TableName"], body["Key"])]
    if operation == "BatchWriteItem":
        return [(table, request.get("PutRequest", {}).get("Item") or request.get("DeleteRequest", {}).get("Key"))
                for table, requests in body.get("RequestItems", {}).items() for request in requests]
    found = []
    for action in body.get("TransactItems", []):
        (kind, spec), = action.items()
        if kind == "Put":
            found.append((spec["TableName"], spec["Item"]))
        elif kind in ("Update", "Delete"):
            found.append((spec["TableName"], spec["Key"]))
    return found


def _image(backend: Any, table_name: str, key: dict[str, Any]) -> dict[str, Any] | None:
    try:
        item = backend.get_item(table_name, key)
    except Exception:  # an unknown table or key shape: nothing to price
        return None
    return item.to_json()["Attributes"] if item is not None else None


def _key_of(table_name: str, named: dict[str, Any]) -> dict[str, Any]:
    table = tables().get(table_name)
    return {k: named[k] for k in table.keys if k in named} if table else named


def before_write(operation: str, params: Any, context: dict[str, Any]) -> None:
    if not _active or operation not in WRITE_OPERATIONS:
        return
    backend = _backend()
    if backend is None:
        return
    try:
        body = json.loads((params or {}).get("body") or b"{}")
    except (ValueError, TypeError):
        return
    pending = []
    for table_name, named in _targets(operation, body):
        key = _key_of(table_name, named or {})
        pending.append((ItemWrite(table_name, operation, operation == "TransactWriteItems",
                                  _image(backend, table_name, key)), key))
    context["bench_writes"] = pending


def after_write(operation: str, http_response: Any, context: dict[str, Any]) -> None:
    pending = context.pop("bench_writes", None)
    if not _active or pending is None:
        return
    succeeded = getattr(http_response, "status_code", 500) < 300
    backend = _backend()
    with _lock:
        for writes in _active:
            if not succeeded:
                writes.failed_calls += 1
                continue
            for item, key in pending:
                writes.items.append(ItemWrite(item.table, item.operation, item.transactional, item.old,
                                              _image(backend, item.table, key)))


@contextmanager
def recording() -> Iterator[Writes]:
    """The items written (with their index entries) inside the block."""
    from bench import dynamo

    dynamo.install()
    writes = Writes()
    with _lock:
        _active.append(writes)
    try:
        yield writes
    finally:
        with _lock:
            _active.remove(writes)
