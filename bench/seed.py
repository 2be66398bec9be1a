"""Fill tables fast for the items-read checks.

The bench's moto server runs in this process, so rows go straight into moto's DynamoDB
backend (no HTTP, no signing): 100,000 rows take seconds instead of minutes. Rows are the
app's own PynamoDB models, serialised as DynamoDB stores them. When moto's internals are not
reachable (a remote endpoint), it falls back to BatchWriteItem through PynamoDB.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

DEFAULT_ACCOUNT = "123456789012"  # moto's account for any access key it does not know


def _backend() -> Any | None:
    try:
        from moto.dynamodb.models import dynamodb_backends
    except ImportError:
        return None
    region = os.environ.get("AWS_REGION", "us-east-1")
    try:
        return dynamodb_backends[DEFAULT_ACCOUNT][region]
    except (KeyError, TypeError):
        return None


def put_models(items: Iterable[Any]) -> None:
    """Save PynamoDB model instances, in bulk."""
    items = list(items)
    if not items:
        return
    backend = _backend()
    table_name = items[0].Meta.table_name
    if backend is not None and table_name in backend.tables:
        for item in items:
            backend.put_item(item.Meta.table_name, item.serialize())
        return
    with type(items[0]).batch_write() as batch:
        for item in items:
            batch.save(item)
