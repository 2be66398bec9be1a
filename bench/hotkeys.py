"""Hot keys: for every secondary index a request writes, how many partition keys its writes
spread over. DynamoDB serves at most 1,000 write units a second per partition, and an
index's entries are placed by their partition key: an index whose writes all carry one key
value caps every route that writes it, however the table grows.

The indexes and their keys come from the app's models (bench/writes.py), so a sharded key
shows as many keys. Distinct keys are counted over the growth seed (every `@growth` table
filled to SEED_ROWS as bench/growth.py fills it, read straight from moto's backend, never
through the app) together with the index entries the route scenarios wrote. An index is
*write-hot* when a route of the cost mix (bench/costs.py MIX) writes it: those must not
have a single key.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from bench.stage import Stage

SEED_ROWS = 1000


@dataclass
class IndexKeys:
    table: str
    index: str
    hash_key: str
    routes: Counter = field(default_factory=Counter)  # route -> index entries it wrote
    request_keys: set[str] = field(default_factory=set)
    seed_keys: set[str] = field(default_factory=set)
    seed_entries: int = 0
    hot: bool = False

    @property
    def name(self) -> str:
        return f"{self.table}.{self.index}"

    @property
    def distinct(self) -> int:
        return len(self.request_keys | self.seed_keys)

    @property
    def ok(self) -> bool:
        return not self.hot or self.distinct > 1

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.name, "hash_key": self.hash_key, "distinct_keys": self.distinct,
                "seed_keys": len(self.seed_keys), "seed_entries": self.seed_entries,
                "request_keys": len(self.request_keys), "write_hot": self.hot, "ok": self.ok,
                "written_by": dict(self.routes.most_common())}


def _key_text(value: dict[str, Any]) -> str:
    (_, raw), = value.items()
    return str(raw)


def from_requests(results: list[Any]) -> dict[str, IndexKeys]:
    """The indexes the measured routes wrote, with the partition keys they wrote."""
    from bench.calls import variant_of
    from bench.costs import MIX
    from bench.writes import tables

    found: dict[str, IndexKeys] = {}
    for r in results:
        if r.writes is None:
            continue
        for item, _, _, entries in r.writes.priced():
            table = tables()[item.table]
            for index, _units in entries:
                keys = found.setdefault(f"{table.logical}.{index.name}",
                                        IndexKeys(table.logical, index.name, index.hash_key))
                keys.routes[r.route] += 1
                keys.hot = keys.hot or r.route in MIX or variant_of(r.route) in MIX
                for image in (item.new, item.old):
                    if index.holds(image):
                        keys.request_keys.add(_key_text(image[index.hash_key]))
    return found


def count_seed(found: dict[str, IndexKeys]) -> list[str]:
    """Fill every growth table to SEED_ROWS and count the keys in the written indexes. Returns
    the tables seeded."""
    from bench.scenarios import GROWTH
    from bench.seed import _backend
    from bench.writes import tables

    seeded: dict[str, bool] = {}
    for spec in GROWTH:
        if spec.table not in seeded:
            spec.seed(0, SEED_ROWS)
            seeded[spec.table] = True
    backend = _backend()
    by_table: dict[str, list[IndexKeys]] = defaultdict(list)
    for keys in found.values():
        by_table[keys.table].append(keys)
    for physical, table in tables().items():
        if table.logical not in seeded or table.logical not in by_table or backend is None:
            continue
        indexes = {index.name: index for index in table.indexes}
        for item in backend.get_table(physical).all_items():  # the bench's own reading of moto, not a call
            image = item.to_json()["Attributes"]
            for keys in by_table[table.logical]:
                index = indexes[keys.index]
                if index.holds(image):
                    keys.seed_entries += 1
                    keys.seed_keys.add(_key_text(image[index.hash_key]))
    return sorted(seeded)


def measure(local: Any, results: list[Any] | None) -> tuple[list[IndexKeys], list[str]]:
    """`results`: the calls part's, when it ran in this invocation (else the routes run here)."""
    from bench.calls import measure_all

    if results is None:
        results = measure_all(Stage(local.api, local.agents))
    found = from_requests(results)
    local.reset()
    try:
        seeded = count_seed(found)
    finally:
        local.reset()
    return sorted(found.values(), key=lambda k: (not k.hot, k.name)), seeded
