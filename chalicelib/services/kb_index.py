"""Where the knowledge base's search index lives, and how every function keeps in step with it.

The index (services/kb_search.py: one compressed blob) is stored in the articles table as
items under DynamoDB's 400 KB, `search#<version>#<n>`, named by a tiny `search#meta` item
(version, chunk count). A warm function keeps the loaded index in memory; each search reads
only the meta item (one strongly consistent GetItem) and reloads the chunks (one
BatchGetItem) when the version moved. So a publish is visible to the next search in every
container, and a search's cost does not depend on how many articles there are.

Writers (the agent's publish, edit, unpublish or delete, synchronously: tens to hundreds of
milliseconds at thousands of articles) load the current index, apply the change, write the
new chunks, then move the meta item on condition that its version is still the one they
read; a writer that loses the race starts again from the newer index. Old chunks are deleted
after the switch; a reader that read the old meta just then finds chunks missing and reads
the meta again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.ids import new_secret
from chalicelib.models.articles import SEARCH_CHUNK_KIND, SEARCH_META_ID, SEARCH_META_KIND, ArticleModel
from chalicelib.services.kb_search import Index

CHUNK_BYTES = 350_000  # under DynamoDB's 400 KB item limit, with room for the key and attributes
WRITE_ATTEMPTS = 5


def chunk_id(version: int, number: int) -> str:
    return f"search#{version}#{number}"


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: tuple[int, str] | None = None
        self.index: Index = Index()

    def clear(self) -> None:
        with self.lock:
            self.version, self.index = None, Index()


cache = _Cache()


def _meta() -> tuple[int, int, str]:
    """(version, chunks, stamp) of the stored index; (0, 0, "") before the first publish."""
    try:
        item = ArticleModel.get(SEARCH_META_ID, consistent_read=True)
    except DoesNotExist:
        return 0, 0, ""
    return int(item.index_version or 0), int(item.chunks or 0), item.index_stamp or ""


def _read_chunks(version: int, chunks: int) -> bytes | None:
    ids = [chunk_id(version, n) for n in range(chunks)]
    found = {item.id: item.blob for item in ArticleModel.batch_get(ids, consistent_read=True)}
    if len(found) != chunks:
        return None  # replaced meanwhile
    return b"".join(found[i] for i in ids)


def _current() -> tuple[Index, int, int]:
    """(index, version, chunks) as stored now: one GetItem when this container has it already."""
    for _ in range(3):
        version, chunks, stamp = _meta()
        if (version, stamp) == cache.version:
            return cache.index, version, chunks
        if version == 0:
            index = Index()
        else:
            blob = _read_chunks(version, chunks)
            if blob is None:
                continue
            index = Index.loads(blob)
        with cache.lock:
            cache.version, cache.index = (version, stamp), index
        return index, version, chunks
    raise RuntimeError("the search index kept changing while it was read")


def current() -> Index:
    """The stored index, as of now (what every search and portal list reads)."""
    return _current()[0]


def _write(index: Index, previous: int, previous_chunks: int) -> bool:
    """Store `index` as version previous + 1; False when another writer moved first."""
    blob = index.dumps()
    version = previous + 1
    pieces = [blob[at:at + CHUNK_BYTES] for at in range(0, len(blob), CHUNK_BYTES)] or [b""]
    with ArticleModel.batch_write() as batch:
        for number, piece in enumerate(pieces):
            batch.save(ArticleModel(chunk_id(version, number), kind=SEARCH_CHUNK_KIND, blob=piece))
    stamp = new_secret(9)
    meta = ArticleModel(SEARCH_META_ID, kind=SEARCH_META_KIND, index_version=version, chunks=len(pieces),
                        index_stamp=stamp)
    condition = ArticleModel.id.does_not_exist() if previous == 0 else ArticleModel.index_version == previous
    try:
        meta.save(condition=condition)
    except PutError:
        with ArticleModel.batch_write() as batch:
            for number in range(len(pieces)):
                batch.delete(ArticleModel(chunk_id(version, number)))
        return False
    if previous:
        with ArticleModel.batch_write() as batch:
            for number in range(previous_chunks):
                batch.delete(ArticleModel(chunk_id(previous, number)))
    with cache.lock:
        cache.version, cache.index = (version, stamp), index
    return True


def change(apply: Callable[[Index], Index]) -> Index:
    """Apply `apply` to the stored index and store the result, retrying on a concurrent writer."""
    for _ in range(WRITE_ATTEMPTS):
        base, previous, previous_chunks = _current()
        updated = apply(base)
        if _write(updated, previous, previous_chunks):
            return updated
    raise RuntimeError("the search index could not be updated: too many concurrent writers")
