"""Count DynamoDB calls with a botocore event hook, by operation name.

`install()` makes every botocore client created from then on (PynamoDB's and boto3's alike)
report its DynamoDB calls, and hooks the clients that already exist. `counting()` records
the calls made while it is open. Nothing is changed on the wire: the hook only looks.

Items read are taken from the responses: a Query's or Scan's ScannedCount (items evaluated,
which is what DynamoDB bills), a GetItem's item, a BatchGetItem's and TransactGetItems'
answers. moto reports a constant ConsumedCapacity, so read capacity is estimated from the
size of the items that came back (eventually consistent: 0.5 RCU per 4 KB, per call).

The same hooks count Cognito user-pool calls by operation (`Calls.cognito`: their quotas are
per account and region, bench/cognito.py) and feed bench/writes.py, which prices the items a
write call touches.
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

COGNITO = "cognito-idp"
READ_OPERATIONS = ("GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems")


@dataclass
class Calls:
    """What one measured stretch of code asked of DynamoDB."""

    operations: Counter = field(default_factory=Counter)
    tables: Counter = field(default_factory=Counter)  # "GetItem portico-test-users" -> count
    items_read: int = 0
    items_returned: int = 0
    read_units: float = 0.0
    billed_read_units: float = 0.0  # the same, strongly consistent reads twice, transactional reads four times
    scans: list[str] = field(default_factory=list)  # table names
    sequence: list[str] = field(default_factory=list)  # operation names, in the order they were called
    cognito: Counter = field(default_factory=Counter)  # Cognito user-pool operations (not in `total`)

    @property
    def total(self) -> int:
        return sum(self.operations.values())

    def summary(self) -> str:
        return " ".join(f"{name}×{count}" for name, count in sorted(self.operations.items())) or "none"

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "operations": dict(sorted(self.operations.items())),
                "by_table": dict(sorted(self.tables.items())),
                "items_read": self.items_read, "items_returned": self.items_returned,
                "read_units_estimate": round(self.read_units, 1),
                "billed_read_units_estimate": round(self.billed_read_units, 1), "scans": list(self.scans),
                "cognito": dict(sorted(self.cognito.items()))}


_active: list[Calls] = []
_lock = threading.Lock()
_installed = False


def _table_names(params: Any) -> list[str]:
    """The tables a serialised request names (TableName, RequestItems, TransactItems)."""
    try:
        body = json.loads((params or {}).get("body") or b"{}")
    except (ValueError, TypeError, AttributeError):
        return ["?"]
    if "TableName" in body:
        return [body["TableName"]]
    if "RequestItems" in body:
        return sorted(body["RequestItems"])
    names = {action.get("TableName", "?") for item in body.get("TransactItems", []) for action in item.values()}
    return sorted(names) or ["?"]


def _off_request() -> bool:
    """A job the request started outside itself (a CSV import's local thread, as Lambda's
    asynchronous invocation is when deployed) is not the request's cost."""
    from chalicelib.services.imports import JOB_THREAD_PREFIX

    return threading.current_thread().name.startswith(JOB_THREAD_PREFIX)


def _before_call(model: Any = None, params: Any = None, context: Any = None, **_: Any) -> None:
    if model is None or _off_request():
        return
    if context is not None:
        from bench import writes

        writes.before_write(model.name, params, context)
    if not _active:
        return
    name = model.name
    if context is not None and name in READ_OPERATIONS:
        context["bench_read_factor"] = _read_factor(name, params)
    tables = _table_names(params)
    with _lock:
        for calls in _active:
            calls.operations[name] += 1
            calls.sequence.append(name)
            calls.tables[f"{name} {','.join(tables)}"] += 1
            if name == "Scan":
                calls.scans.append(tables[0])


def _read_factor(name: str, params: Any) -> int:
    """What DynamoDB bills a read at, against an eventually consistent one (0.5 per 4 KB)."""
    if name == "TransactGetItems":
        return 4
    try:
        body = json.loads((params or {}).get("body") or b"{}")
    except (ValueError, TypeError, AttributeError):
        return 1
    consistent = body.get("ConsistentRead") or any(
        spec.get("ConsistentRead") for spec in (body.get("RequestItems") or {}).values())
    return 2 if consistent else 1


def _item_size(item: dict[str, Any]) -> int:
    # DynamoDB sizes an item by its attribute names and values; the JSON text is close enough.
    return len(json.dumps(item, separators=(",", ":")))


def _read_counts(name: str, parsed: dict[str, Any]) -> tuple[int, int, list[int]]:
    """(items read, items returned, sizes of returned items per call) for one answer."""
    if name in ("Query", "Scan"):
        items = parsed.get("Items") or []
        return int(parsed.get("ScannedCount", len(items))), len(items), [sum(map(_item_size, items))]
    if name == "GetItem":
        item = parsed.get("Item")
        return (1, 1, [_item_size(item)]) if item else (0, 0, [0])
    if name == "BatchGetItem":
        items = [i for table_items in (parsed.get("Responses") or {}).values() for i in table_items]
        return len(items), len(items), [_item_size(i) for i in items]
    if name == "TransactGetItems":
        items = [r["Item"] for r in parsed.get("Responses") or [] if r.get("Item")]
        return len(items), len(items), [_item_size(i) for i in items]
    return 0, 0, []


def _after_call(model: Any = None, parsed: Any = None, http_response: Any = None, context: Any = None,
                **_: Any) -> None:
    if model is None or _off_request():
        return
    if context is not None:
        from bench import writes

        writes.after_write(model.name, http_response, context)
    if not _active or model.name not in READ_OPERATIONS or not isinstance(parsed, dict):
        return
    read, returned, sizes = _read_counts(model.name, parsed)
    if model.name in ("Query", "Scan"):
        units = 0.5 * max(1, math.ceil(sizes[0] / 4096))
    else:
        units = sum(0.5 * max(1, math.ceil(size / 4096)) for size in sizes if size)
    factor = (context or {}).get("bench_read_factor", 1)
    with _lock:
        for calls in _active:
            calls.items_read += read
            calls.items_returned += returned
            calls.read_units += units
            calls.billed_read_units += units * factor


def _cognito_call(model: Any = None, **_: Any) -> None:
    if not _active or model is None:
        return
    with _lock:
        for calls in _active:
            calls.cognito[model.name] += 1


def hook(client: Any) -> None:
    """Report this client's DynamoDB (or Cognito) calls (idempotent)."""
    events = client.meta.events
    if getattr(client, "_bench_hooked", False):
        return
    if client.meta.service_model.service_name == COGNITO:
        events.register("before-call.cognito-identity-provider", _cognito_call, unique_id="bench-cognito-call")
        client._bench_hooked = True
        return
    events.register("before-call.dynamodb", _before_call, unique_id="bench-before-call")
    events.register("after-call.dynamodb", _after_call, unique_id="bench-after-call")
    client._bench_hooked = True


def install() -> None:
    """Hook every DynamoDB client: those created from now on, and those that exist."""
    global _installed
    if _installed:
        return
    original = botocore.session.Session.create_client

    def create_client(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        client = original(self, service_name, *args, **kwargs)
        if service_name in ("dynamodb", COGNITO):
            hook(client)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    for obj in gc.get_objects():
        if isinstance(obj, botocore.client.BaseClient) and obj.meta.service_model.service_name in ("dynamodb",
                                                                                                  COGNITO):
            hook(obj)
    _installed = True


@contextmanager
def counting() -> Iterator[Calls]:
    """Record the DynamoDB calls made inside the block."""
    install()
    calls = Calls()
    with _lock:
        _active.append(calls)
    try:
        yield calls
    finally:
        with _lock:
            _active.remove(calls)
