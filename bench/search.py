"""The knowledge base's search engine at size: index size and load time, search CPU and the
cost of one publish at 500 and 5,000 articles of ~1,000 words (in memory: DynamoDB's share is
the calls and growth parts' business).

The corpus is made up but shaped like help articles: a few hundred common helpdesk words
and a long tail of rarer ones, drawn with Zipf-like weights, so queries hit postings lists of
realistic lengths.
"""

from __future__ import annotations

import itertools
import random
import statistics
import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any

COMMON = """account password reset login email address printer driver install update network wifi connect
error message screen browser windows mac phone mobile app invoice payment billing refund order shipping
delivery return warranty device setting profile security two factor code verify link expire support ticket
agent reply attachment file upload download folder share permission user admin team organization report export
import backup restore sync calendar meeting video audio microphone camera license subscription plan upgrade
cancel trial storage quota limit slow crash freeze restart battery charge cable monitor keyboard mouse vpn
firewall proxy certificate domain server database migration integration api token webhook notification alert
schedule language timezone currency tax receipt contract signature document template print scan fax""".split()  # noqa: SIM905
SYLLABLES = ("ba", "ce", "di", "fo", "gu", "ka", "le", "mi", "no", "pu", "ra", "se", "ti", "vo", "zu", "an", "er",
             "in", "on", "ur", "str", "pl", "tr")
QUERIES = ("reset password", "printer driver install", "invoice refund", "wifi network slow", "two factor code",
           "export report", "vpn certificate error", "upgrade subscription plan", "calendar sync", "pasword reset",
           "printr", "refunds invoices", "the and of", "camera microphone meeting video")


@cache
def _vocabulary() -> tuple[list[str], list[float]]:
    rng = random.Random(18)
    tail = sorted({"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(20_000)})
    vocabulary = COMMON + [w for w in tail if w not in COMMON]
    return vocabulary, list(itertools.accumulate(1 / (rank + 8) for rank in range(len(vocabulary))))


def corpus_text(n: int, *, words: int = 1000) -> tuple[str, str]:
    """(title, body) of article number `n`, the same every run."""
    vocabulary, cumulative = _vocabulary()
    rng = random.Random(n)
    title = " ".join(rng.choices(COMMON, k=5)).capitalize()
    body = []
    for sentence in range(0, words, 12):
        sentence_words = rng.choices(vocabulary, cum_weights=cumulative, k=min(12, words - sentence))
        body.append(" ".join(sentence_words).capitalize() + ".")
    return title, " ".join(body)


@dataclass
class SearchResult:
    """CPU per query is this thread's CPU time (`time.thread_time`: neither the wall clock nor the
    local stack's server threads), each query run `rounds` times, interleaved. The figures are
    robust to a busy machine: the median of every run, and the worst query's median (a single
    run can still be slowed by a neighbour thrashing the shared caches; it is kept as detail)."""

    articles: int
    words: int
    blob_bytes: int = 0
    chunks: int = 0
    load_ms: float = 0.0
    publish_ms: float = 0.0
    cpu_ms: dict[str, list[float]] = field(default_factory=dict)  # per query, one figure a round

    @property
    def runs(self) -> list[float]:
        return [ms for runs in self.cpu_ms.values() for ms in runs]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.runs) if self.cpu_ms else 0.0

    @property
    def worst_ms(self) -> float:
        """The slowest query's median."""
        return max(statistics.median(runs) for runs in self.cpu_ms.values()) if self.cpu_ms else 0.0

    @property
    def slowest_run_ms(self) -> float:
        return max(self.runs) if self.cpu_ms else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"articles": self.articles, "words": self.words, "blob_bytes": self.blob_bytes, "chunks": self.chunks,
                "load_ms": round(self.load_ms, 1), "publish_ms": round(self.publish_ms, 1),
                "cpu_ms": {query: [round(v, 2) for v in runs] for query, runs in self.cpu_ms.items()}}


def measure(articles: int, *, words: int = 1000, rounds: int = 7) -> SearchResult:
    from chalicelib.services import kb_index, kb_search

    visibilities = ("public", "clients", "organizations")
    entries = []
    for n in range(articles):
        title, text = corpus_text(n, words=words)
        visibility = visibilities[n % 3]
        entries.append(kb_search.entry(f"A{n:08d}", title=title, text=text, category=f"Category {n % 12}",
                                       visibility=visibility, updated_at="2026-01-01T00:00:00Z",
                                       organization_ids=("org-a",) if visibility == "organizations" else ()))
    index = kb_search.Index.build(entries[:-1])
    result = SearchResult(articles, words)
    started = time.perf_counter()  # one publish: the change, then the blob written
    blob = index.with_changes(upserts=[entries[-1]]).dumps()
    result.publish_ms = (time.perf_counter() - started) * 1000
    result.blob_bytes = len(blob)
    result.chunks = -(-len(blob) // kb_index.CHUNK_BYTES)
    started = time.perf_counter()
    index = kb_search.Index.loads(blob)
    result.load_ms = (time.perf_counter() - started) * 1000
    audience = kb_search.Audience(signed_in=True, organization_id="org-a")
    for query in QUERIES:  # warm: stems memoised, audience mask built, as in a warm container
        index.search(query, audience)
    for _ in range(rounds):
        for query in QUERIES:
            started = time.thread_time()
            index.search(query, audience)
            result.cpu_ms.setdefault(query, []).append((time.thread_time() - started) * 1000)
    return result
