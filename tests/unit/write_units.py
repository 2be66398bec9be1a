"""Count what DynamoDB would bill for the writes a stretch of code makes: items written,
index entries included, and write units (≈ ceil(entry KB) per write).

moto reports no real consumed capacity, so the figure is derived from the models' indexes
and the items actually written: a botocore hook reads each written item just before and just
after its write (with a client of its own, which is not hooked), and for every index of the
table works out the entry DynamoDB would write:
  - an item that enters an index, or whose projected attributes change: one put;
  - an item whose index key changes: a delete and a put (two writes);
  - an item that leaves an index: one delete;
  - nothing projected changed: no write.
An index entry's size is its projected attributes (table and index keys always) plus the
100 bytes DynamoDB adds to every index entry. The table write itself costs ceil(the larger
of the item's sizes before and after / 1 KB). Transactional writes are billed twice by
DynamoDB; the counter does not double them (the figure compares designs, not invoices).
"""

from __future__ import annotations

import gc
import json
import math
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.client
import botocore.session

WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
INDEX_ENTRY_OVERHEAD = 100  # bytes DynamoDB adds to each index entry


@dataclass
class Writes:
    items: int = 0  # item writes, table and index entries
    units: int = 0  # write units (1 per KB started, per write)
    by_target: Counter = field(default_factory=Counter)  # "tickets" / "tickets.by_kind_activity" -> writes
    units_by_target: Counter = field(default_factory=Counter)  # the same -> write units

    def summary(self) -> str:
        return f"{self.items} items, {self.units} WU: " + ", ".join(
            f"{name}×{count} ({self.units_by_target[name]} WU)" for name, count in sorted(self.by_target.items()))


@dataclass(frozen=True)
class IndexShape:
    name: str
    keys: tuple[str, ...]  # the index's hash (and range) attribute names
    projection: str  # ALL | KEYS_ONLY | INCLUDE
    included: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableShape:
    logical: str
    keys: tuple[str, ...]
    indexes: tuple[IndexShape, ...]


def _shapes() -> dict[str, TableShape]:
    """Table name -> keys and indexes, from the models (the same source infra derives from)."""
    from chalicelib.models import table_models

    shapes = {}
    for logical, model in table_models().items():
        keys = tuple(a.attr_name for a in (model._hash_key_attribute(), model._range_key_attribute()) if a)
        indexes = []
        for index in model._indexes.values():  # pynamodb: index name -> Index
            schema = index._get_schema()
            projection = index.Meta.projection
            indexes.append(IndexShape(schema["index_name"], tuple(k["AttributeName"] for k in schema["key_schema"]),
                                      projection.projection_type,
                                      tuple(getattr(projection, "non_key_attributes", None) or ())))
        shapes[model.Meta.table_name] = TableShape(logical, keys, tuple(indexes))
    return shapes


def _value_size(value: dict[str, Any]) -> int:
    kind, inner = next(iter(value.items()))
    if kind in ("S",):
        return len(inner.encode())
    if kind == "B":
        return len(inner)
    if kind == "N":
        return math.ceil(len(inner.lstrip("-").replace(".", "")) / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "BS"):
        return sum(len(str(v).encode()) for v in inner)
    if kind == "NS":
        return sum(math.ceil(len(v) / 2) + 1 for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _value_size(v) for k, v in inner.items())
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in inner)
    return len(json.dumps(inner))


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _entry(table: TableShape, index: IndexShape, item: dict[str, Any] | None) -> dict[str, Any] | None:
    """The index entry `item` has (None: not in the index, a key attribute is missing)."""
    if item is None or any(key not in item for key in index.keys):
        return None
    if index.projection == "ALL":
        return item
    names = set(table.keys) | set(index.keys) | (set(index.included) if index.projection == "INCLUDE" else set())
    return {name: value for name, value in item.items() if name in names}


def _units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def charge(writes: Writes, table: TableShape, before: dict | None, after: dict | None) -> None:
    if before is None and after is None:
        return
    writes.items += 1
    units = _units(max(item_size(before or {}), item_size(after or {})))
    writes.units += units
    writes.units_by_target[table.logical] += units
    writes.by_target[table.logical] += 1
    for index in table.indexes:
        old, new = _entry(table, index, before), _entry(table, index, after)
        if old == new:
            continue
        target = f"{table.logical}.{index.name}"
        moved = old is not None and new is not None and any(old[k] != new[k] for k in index.keys)
        for entry in ([old, new] if moved else [new if new is not None else old]):
            units = _units(item_size(entry) + INDEX_ENTRY_OVERHEAD)
            writes.items += 1
            writes.units += units
            writes.units_by_target[target] += units
            writes.by_target[target] += 1


def _written_keys(operation: str, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(table name, key) of every item the request writes."""
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        return [(body["TableName"], body.get("Key") or body.get("Item") or {})]
    if operation == "TransactWriteItems":
        found = []
        for action in body.get("TransactItems", []):
            for kind, detail in action.items():
                if kind != "ConditionCheck":
                    found.append((detail["TableName"], detail.get("Key") or detail.get("Item") or {}))
        return found
    found = []
    for table, requests in body.get("RequestItems", {}).items():
        for request in requests:
            for detail in request.values():
                found.append((table, detail.get("Key") or detail.get("Item") or {}))
    return found


_active: list[Writes] = []
_lock = threading.Lock()
_local = threading.local()
_state: dict[str, Any] = {}


def _reader() -> Any:
    if "reader" not in _state:
        from chalicelib import config

        session = botocore.session.get_session()
        _state["reader"] = session.create_client("dynamodb", region_name=config.aws_region(),
                                                 endpoint_url=config.aws_endpoint_url())
        _state["reader"]._write_units_reader = True
    return _state["reader"]


def _read(table_name: str, key: dict[str, Any], shape: TableShape) -> dict[str, Any] | None:
    key = {name: key[name] for name in shape.keys if name in key}
    return _reader().get_item(TableName=table_name, Key=key, ConsistentRead=True).get("Item")


def _before_call(model: Any = None, params: Any = None, **_: Any) -> None:
    if not _active or model is None or model.name not in WRITE_OPERATIONS:
        return
    body = json.loads((params or {}).get("body") or b"{}")
    shapes = _state.setdefault("shapes", _shapes())
    pending = []
    for table_name, key in _written_keys(model.name, body):
        shape = shapes.get(table_name)
        if shape is not None:
            pending.append((table_name, key, shape, _read(table_name, key, shape)))
    _local.pending = pending


def _after_call(model: Any = None, http_response: Any = None, **_: Any) -> None:
    pending, _local.pending = getattr(_local, "pending", None), None
    if not pending or not _active or getattr(http_response, "status_code", 500) >= 300:
        return
    for table_name, key, shape, before in pending:
        after = _read(table_name, key, shape)
        with _lock:
            for writes in _active:
                charge(writes, shape, before, after)


def _hook(client: Any) -> None:
    if getattr(client, "_write_units_hooked", False) or getattr(client, "_write_units_reader", False):
        return
    client.meta.events.register("before-call.dynamodb", _before_call, unique_id="write-units-before")
    client.meta.events.register("after-call.dynamodb", _after_call, unique_id="write-units-after")
    client._write_units_hooked = True


def _install() -> None:
    if _state.get("installed"):
        return
    original = botocore.session.Session.create_client

    def create_client(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        client = original(self, service_name, *args, **kwargs)
        if service_name == "dynamodb":
            _hook(client)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    for obj in gc.get_objects():
        if isinstance(obj, botocore.client.BaseClient) and obj.meta.service_model.service_name == "dynamodb":
            _hook(obj)
    _state["installed"] = True


@contextmanager
def counting() -> Iterator[Writes]:
    """The writes made inside the block, index entries included."""
    _reader()  # before the hook is installed: its own reads are not counted
    _install()
    writes = Writes()
    with _lock:
        _active.append(writes)
    try:
        yield writes
    finally:
        with _lock:
            _active.remove(writes)
