"""Write-hot indexes spread over N partition keys ("shards"), and reading them back as one list.

An index whose partition key is the same for every item (all tickets, all pending mail, the
whole portal log) takes at most ~1,000 writes a second on DynamoDB, however the sort key
varies. Such an index is keyed instead by `<value>#<shard>`, the shard derived from the
item's own id (`shard_of`): the same item always lands on the same shard for a given
count, and readers know every shard (`shard_keys`). The count is the deploy setting
PORTICO_INDEX_SHARDS (config.index_shards); changing it is a migration (docs/architecture.md,
"Sharded indexes").

Readers Query every shard in parallel and merge by the sort key (`query_shards`): each shard
gives at most one page, so the merged page is exact; the position inside each shard goes
into the cursor (a dict of shard -> DynamoDB key, sealed by cursor.py like any other).
"""

from __future__ import annotations

import zlib
from typing import Any

from chalicelib import config
from chalicelib.models.base import key_of

SEPARATOR = "#"


def shard_count() -> int:
    return config.index_shards()


def shard_of(item_id: str, count: int | None = None) -> int:
    """The item's shard: stable across processes and releases (crc32, not Python's hash)."""
    return zlib.crc32(item_id.encode("utf-8", "surrogatepass")) % (count or shard_count())


def sharded(value: str, item_id: str) -> str:
    """The index partition key of the item `item_id` whose unsharded key would be `value`."""
    return f"{value}{SEPARATOR}{shard_of(item_id)}"


def shard_keys(value: str) -> list[str]:
    """Every partition key `value` is spread over."""
    return [f"{value}{SEPARATOR}{shard}" for shard in range(shard_count())]


def unsharded(key: str | None) -> str | None:
    """The value a sharded key stands for ("pending#3" -> "pending")."""
    return key.rpartition(SEPARATOR)[0] if key and SEPARATOR in key else key


def _map(function: Any, arguments: list[Any]) -> list[Any]:
    if len(arguments) == 1:
        return [function(arguments[0])]
    from concurrent.futures import ThreadPoolExecutor  # lazy: cold start (only readers of sharded indexes)

    with ThreadPoolExecutor(max_workers=min(len(arguments), 16)) as pool:
        return list(pool.map(function, arguments))


def query_shards(index: Any, value: str, range_key_condition: Any = None, *, sort_key: str | tuple[str, ...],
                 newest_first: bool, limit: int, start: dict[str, Any] | None
                 ) -> tuple[list[Any], dict[str, Any] | None]:
    """One page of `index` over every shard of `value`, ordered by `sort_key` (the index's
    range key attribute, by its Python name; or several, the range key first, the others
    projected: what orders ties across shards), and where the next page starts in each shard.

    `start` is a position returned before (None: the beginning). A shard absent from it is
    done; a shard with an empty position starts at its beginning."""
    if start is None:
        positions: dict[str, dict | None] = {key: None for key in shard_keys(value)}
    else:
        positions = {key: (position or None) for key, position in start.items() if key in set(shard_keys(value))}
    if not positions:
        return [], None
    # Build the model's client here, once: PynamoDB creates it lazily and not thread-safely.
    index._model._get_connection().connection.client  # noqa: B018

    def read(shard: str) -> tuple[str, list[Any], Any]:
        result = index.query(shard, range_key_condition, scan_index_forward=not newest_first, limit=limit,
                             last_evaluated_key=positions[shard])
        return shard, list(result), result

    pages = _map(read, list(positions))
    # A stable sort (also reversed): items with equal sort keys keep their order within a shard.
    names = (sort_key,) if isinstance(sort_key, str) else sort_key
    merged = sorted([(tuple(getattr(item, name) for name in names), shard, n)
                     for shard, items, _ in pages for n, item in enumerate(items)],
                    key=lambda entry: entry[0], reverse=newest_first)[:limit]
    taken: dict[str, int] = {}
    for _, shard, n in merged:
        taken[shard] = max(taken.get(shard, -1), n)
    items_of = {shard: (items, result) for shard, items, result in pages}
    found = [items_of[shard][0][n] for _, shard, n in merged]
    following: dict[str, dict] = {}
    for shard, (items, result) in items_of.items():
        last = taken.get(shard)
        if last is None:
            if items or result.last_evaluated_key is not None:  # nothing of it used: read it again
                following[shard] = positions[shard] or {}
        elif last == len(items) - 1:
            if result.last_evaluated_key is not None:
                following[shard] = result.last_evaluated_key
        else:
            following[shard] = key_of(items[last], result.page_iter.key_names)
    return found, (following or None)
