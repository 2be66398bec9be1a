"""The agents' client directory search (product.md §12): `?q=` matches the prefix of any word
of a client's normalized name, or of their email, case- and accent-insensitively, and combines
with the organization and status filters. Never a Scan, never one hot index key.

Each client has a term item per distinct word of their name and one for their email
(models/users.py, `term#<client>#<word>`); the `by_term` index is keyed by a word's first two
letters, its range is "<word>#<client id>". A search is one Query (`begins_with` the typed
prefix) for a page of candidate words, then one BatchGet of their clients, kept when the
client's current name or email still matches (a term item left behind by a failed re-index
matches nothing) and the filters hold. A client matching through two words is answered at the
first of them in index order only, so pages never repeat a client.

Ceiling: one index key holds every word starting with the same two letters (the largest, a
common first-name prefix, is a few percent of all words); DynamoDB splits hot keys on its own
but a key is served at up to 3,000 reads/s, far above an agent team's searches. A filter
that matches few of the candidates returns short pages (with a cursor), not slower ones.

Clients written before the directory existed have no term items: `reindex_all` (the ops
command `make reindex-clients`, docs/operations.md) writes them once after deploying.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.models.shards import query_shards
from chalicelib.models.users import CLIENT_KIND, TERM_KIND, UserModel
from chalicelib.services.client_store import items_of

MAX_NAME_WORDS = 8
MAX_TERM = 120
SHARD = 2  # letters of a word that key the index
_WORD = re.compile(r"[^\W_]+")


def normalize(text: str) -> str:
    """Lower case, accents removed ("Zoë Ångström" -> "zoe angstrom")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def terms_of(name: str | None, email: str | None) -> list[str]:
    """The words a client is found by: their name's words, then their email (whole)."""
    words = list(dict.fromkeys(_WORD.findall(normalize(name or ""))))[:MAX_NAME_WORDS]
    found = [w[:MAX_TERM] for w in words]
    if email:
        found.append(normalize(email)[:MAX_TERM])
    return list(dict.fromkeys(found))


def _term_id(client_id: str, term: str) -> str:
    return f"term#{client_id}#{term}"


def term_items(client_id: str, terms: list[str]) -> list[UserModel]:
    return [UserModel(_term_id(client_id, term), kind=TERM_KIND, owner_id=client_id, term_shard=term[:SHARD],
                      term_key=f"{term}#{client_id}") for term in terms]


def stored_terms(item: UserModel) -> list[str]:
    return [t for t in (item.search_terms or "").split("\n") if t]


def index_new(item: UserModel) -> list[UserModel]:
    """For a client being created: its term items (saved in the creating transaction) and
    `search_terms` set on the item."""
    terms = terms_of(item.name, item.email)
    item.search_terms = "\n".join(terms) or None
    return term_items(item.id, terms)


@dataclass(frozen=True)
class TermChange:
    """What a name or email change does to a client's term items: `action` goes into the update
    that makes the change (the client's `search_terms`), then `write()` the term items."""

    client_id: str
    terms: list[str]
    before: list[str]

    @property
    def action(self) -> Any:
        return (UserModel.search_terms.set("\n".join(self.terms)) if self.terms
                else UserModel.search_terms.remove())

    def add_to(self, tx: Any) -> None:
        """The term items' writes inside the transaction that makes the change (no extra call)."""
        for term in self.before:
            if term not in self.terms:
                tx.delete(UserModel(_term_id(self.client_id, term)))
        for extra in term_items(self.client_id, [t for t in self.terms if t not in self.before]):
            tx.save(extra)

    def write(self) -> None:
        """One BatchWrite; a failure leaves stale candidates that the search drops (it checks
        the client's current name and email), and the next change retries it."""
        stale = [t for t in self.before if t not in self.terms]
        fresh = [t for t in self.terms if t not in self.before]
        if not stale and not fresh:
            return
        with UserModel.batch_write() as batch:
            for term in stale:
                batch.delete(UserModel(_term_id(self.client_id, term)))
            for extra in term_items(self.client_id, fresh):
                batch.save(extra)


def term_change(item: UserModel, *, name: str | None, email: str | None) -> TermChange:
    return TermChange(item.id, terms_of(name, email), stored_terms(item))


def reindex(item: UserModel, *, name: str | None, email: str | None) -> None:
    """After a write that changed the name or email without `term_change`'s action."""
    change = term_change(item, name=name, email=email)
    if change.terms == change.before:
        return
    UserModel(item.id).update(actions=[change.action], condition=UserModel.kind == CLIENT_KIND)
    change.write()


@dataclass(frozen=True)
class ReindexReport:
    examined: int  # clients read
    updated: int  # clients whose stored `search_terms` changed (0 on a second run)
    skipped: int  # clients changed meanwhile: their own write indexed them


def reindex_all(*, page_size: int = 100, start_key: dict | None = None) -> ReindexReport:
    """Backfill the term items of every client (the ops command after deploying the directory).
    Walks the clients through the sharded `by_kind_email` index a page at a time (one Query per
    shard, models/shards.py; never a Scan), reading the page's clients in one BatchGet (the
    index entries carry keys, kind and status only); per page one BatchWrite puts each client's
    current term items (a PutItem of an existing term item rewrites it unchanged: running it
    again changes nothing) and deletes the ones its stored `search_terms` lists but its name and
    email no longer give. Then `search_terms` is set on
    the clients whose list differs, on condition that it is still the one read: a client renamed
    meanwhile was indexed by the rename itself, and the term items written here for the old name
    are stale candidates the search drops."""
    examined = updated = skipped = 0
    while True:
        listed, start_key = query_shards(UserModel.by_kind_email, CLIENT_KIND, sort_key="email_lower",
                                         newest_first=False, limit=page_size, start=start_key)
        page = items_of(listed)
        changes = [term_change(item, name=item.name, email=item.email) for item in page]
        with UserModel.batch_write() as batch:
            for change in changes:
                for term in change.before:
                    if term not in change.terms:
                        batch.delete(UserModel(_term_id(change.client_id, term)))
                for term_item in term_items(change.client_id, change.terms):
                    batch.save(term_item)
        for item, change in zip(page, changes, strict=True):
            if change.terms == change.before:
                continue
            read = item.search_terms
            unchanged = (UserModel.search_terms.does_not_exist() if read is None
                         else UserModel.search_terms == read)
            try:
                UserModel(item.id).update(actions=[change.action],
                                          condition=(UserModel.kind == CLIENT_KIND) & unchanged)
                updated += 1
            except UpdateError as error:
                if error.cause_response_code != "ConditionalCheckFailedException":
                    raise
                skipped += 1
        examined += len(page)
        if not start_key:
            return ReindexReport(examined, updated, skipped)


def removal_items(item: UserModel) -> list[UserModel]:
    return [UserModel(_term_id(item.id, term)) for term in stored_terms(item)]


def searchable(query: str) -> bool:
    """`q` is searched by words when the prefix it is read by has at least SHARD letters;
    shorter, it is the email prefix of before (clients.list_clients)."""
    return len(_query_words(query)[0]) >= SHARD


def _query_words(query: str) -> tuple[str, list[str]]:
    """The prefix the index is read by, and the other words every match must also start."""
    normalized = normalize(query)
    if "@" in normalized or not _WORD.match(normalized):
        return normalized, []
    words = _WORD.findall(normalized)
    return words[0], words[1:]


def _first_match(item: UserModel, prefix: str, others: list[str]) -> str | None:
    terms = terms_of(item.name, item.email)
    if any(not any(t.startswith(word) for t in terms) for word in others):
        return None
    matching = sorted(t for t in terms if t.startswith(prefix))
    return matching[0] if matching else None


def search(query: str, *, organization_id: str | None, status: str | None, limit: int, start_key: dict | None
           ) -> tuple[list[UserModel], dict | None]:
    """A page of clients matching `query` (see the module's docstring)."""
    prefix, others = _query_words(query)
    result = UserModel.by_term.query(prefix[:SHARD], UserModel.term_key.startswith(prefix), limit=limit,
                                     last_evaluated_key=start_key)
    candidates = [(item.term_key or "").rpartition("#") for item in result]
    ids = list(dict.fromkeys(client_id for _, _, client_id in candidates if client_id))
    accounts: dict[str, Any] = {item.id: item for item in UserModel.batch_get(ids)} if ids else {}
    found: list[UserModel] = []
    for term, _, client_id in candidates:
        item = accounts.get(client_id)
        if (item is None or item.kind != CLIENT_KIND or _first_match(item, prefix, others) != term
                or (organization_id and item.organization_id != organization_id)
                or (status and item.status != status)):
            continue
        found.append(item)
    return found, result.last_evaluated_key
