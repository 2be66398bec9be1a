"""Reading items of two tables in one call (BatchGetItem), for a request whose next step
needs both: a reply's ticket and its Idempotency-Key record, a session's client item and the
key's record of the ticket it creates."""

from __future__ import annotations

from typing import Any


def get_both(first: type, first_key: str, second: type, second_key: str) -> dict[type, Any]:
    """Two items of two tables (hash keys only), strongly consistent, in one BatchGetItem:
    {model: item} of those found."""
    connection = first._get_connection().connection
    request = {model.Meta.table_name: {"Keys": [{model._hash_key_attribute().attr_name: {"S": key}}],
                                       "ConsistentRead": True}
               for model, key in ((first, first_key), (second, second_key))}
    found: dict[type, Any] = {}
    for _ in range(3):  # unprocessed keys (throttling) are asked again
        answer = connection.client.batch_get_item(RequestItems=request)
        for model in (first, second):
            for raw in answer.get("Responses", {}).get(model.Meta.table_name, []):
                found[model] = model.from_raw_data(raw)
        request = answer.get("UnprocessedKeys") or {}
        if not request:
            return found
    raise RuntimeError("DynamoDB left keys unprocessed three times")
