"""The knowledge base's full-text search: a compact inverted index, ranked BM25 over the title
(weighted) and the body, English stemming, one-typo tolerance, visibility-filtered results
with highlighted excerpts. Pure: no I/O (services/kb_index.py stores and caches it).

Layout, chosen so a warm function loads it once and a query touches only its terms:
- `docs`: one slot per published article (None when freed), with what a result and the
  visibility filter need (id, title, category, visibility, organization ids, updated time,
  the first words of the body for the excerpt, both field lengths);
- per field (title, body): `offsets[t]..offsets[t+1]` delimits term t's postings in two flat
  arrays, the slots (`array('I')`) and the term frequencies (`array('B')`, capped at 255), sliced at C speed.
The whole is one zlib-compressed blob (`dumps` / `loads`).

An edit (`with_changes`) rebuilds the arrays term by term, copying untouched postings as
slices: tens of milliseconds at thousands of articles, so it runs on the agent's write.
"""

from __future__ import annotations

import bisect
import heapq
import json
import math
import re
import struct
import sys
import unicodedata
import zlib
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress

from chalicelib.services.visibility import article_readable

FORMAT = 2
COMPRESSION = 3  # zlib level: at 5,000 articles half the time of 6 for 3% more bytes
TITLE_WEIGHT = 3.0  # a word in the title counts as much as three in the body
K1, B = 1.2, 0.75
MAX_FREQUENCY = 255  # a word's count in one field, capped: one byte a posting (BM25 saturates long before)
TYPO_WEIGHT = 0.8  # a corrected word ranks a little below an exact one
MAX_QUERY_TERMS = 16
MAX_TERM_LENGTH = 40
EXCERPT_SOURCE_CHARS = 600  # the body's first characters kept per document, for excerpts
EXCERPT_CHARS = 200

STOP_WORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between both
but by can could did do does doing down during each few for from further had has have having he her here hers
herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on
once only or other our ours ourselves out over own same she should so some such than that the their theirs
them themselves then there these they this those through to too under until up very was we were what when
where which while who whom why will with would you your yours yourself yourselves
""".split())  # noqa: SIM905  (a word list reads better as text)

_WORD = re.compile(r"[^\W_]+")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)(?=\w)")


class _Stems:
    """English (Porter 2 / Snowball) stems, memoised: the stemmer is pure Python."""

    LIMIT = 200_000

    def __init__(self) -> None:
        self._stemmer = None
        self._memo: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        found = self._memo.get(word)
        if found is None:
            if self._stemmer is None:
                import snowballstemmer  # lazy: cold start

                self._stemmer = snowballstemmer.stemmer("english")
            if len(self._memo) >= self.LIMIT:
                self._memo.clear()
            found = self._memo[word] = self._stemmer.stemWord(word)
        return found


stem = _Stems()


def words(text: str) -> list[str]:
    """Lower-cased words (letters and digits), accents kept, over-long tokens dropped."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return [w for w in _WORD.findall(folded) if len(w) <= MAX_TERM_LENGTH]


def terms(text: str) -> list[str]:
    """The indexed form of `text`: stems of its words that are not stop words."""
    return [stem(w) for w in words(text) if w not in STOP_WORDS]


def term_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for term in terms(text):
        counts[term] = counts.get(term, 0) + 1
    return counts


@dataclass(frozen=True)
class Doc:
    id: str
    title: str
    category: str | None
    visibility: str
    organization_ids: tuple[str, ...]
    updated_at: str
    text: str  # the body's first EXCERPT_SOURCE_CHARS characters, plain text
    title_length: int = 0
    body_length: int = 0

    def row(self) -> list:
        return [self.id, self.title, self.category, self.visibility, list(self.organization_ids), self.updated_at,
                self.text, self.title_length, self.body_length]

    @classmethod
    def from_row(cls, row: list) -> Doc:
        return cls(row[0], row[1], row[2], row[3], tuple(row[4]), row[5], row[6], row[7], row[8])


@dataclass(frozen=True)
class Audience:
    """Who is searching: nobody (public articles only) or a client (and their organization)."""

    signed_in: bool = False
    organization_id: str | None = None
    everything: bool = False  # agents

    def sees(self, doc: Doc) -> bool:
        """Every document in the index is published; the rest is services/visibility.py's rule."""
        return self.everything or article_readable(signed_in=self.signed_in, organization_id=self.organization_id,
                                                   visibility=doc.visibility, organization_ids=doc.organization_ids)


@dataclass
class Entry:
    """An article as the index takes it: its document row and its words per field."""

    doc: Doc
    title_terms: dict[str, int]
    body_terms: dict[str, int]


def entry(id: str, *, title: str, text: str, category: str | None, visibility: str,
          organization_ids: Iterable[str] = (), updated_at: str) -> Entry:
    title_terms, body_terms = term_counts(title), term_counts(text)
    doc = Doc(id, title, category, visibility, tuple(organization_ids), updated_at, text[:EXCERPT_SOURCE_CHARS],
              sum(title_terms.values()), sum(body_terms.values()))
    return Entry(doc, title_terms, body_terms)


@dataclass
class _Field:
    offsets: array = field(default_factory=lambda: array("I", [0]))
    slots: array = field(default_factory=lambda: array("I"))
    freqs: array = field(default_factory=lambda: array("B"))

    def postings(self, term: int) -> tuple[array, array]:
        if term + 1 >= len(self.offsets):
            return array("I"), array("B")
        lo, hi = self.offsets[term], self.offsets[term + 1]
        return self.slots[lo:hi], self.freqs[lo:hi]

    def frequency(self, term: int) -> int:
        return self.offsets[term + 1] - self.offsets[term] if term + 1 < len(self.offsets) else 0

    def _offset(self, term: int) -> int:
        return self.offsets[min(term, len(self.offsets) - 1)]

    def _positions_of(self, cleared: set[int]) -> set[int]:
        """Where the `cleared` slots sit in the postings: a byte search, at C speed."""
        raw, positions = self.slots.tobytes(), set()
        for slot in cleared:
            pattern = array("I", [slot]).tobytes()
            at = raw.find(pattern)
            while at != -1:
                if at % 4 == 0:
                    positions.add(at // 4)
                at = raw.find(pattern, at + 1)
        return positions

    def rebuilt(self, term_count: int, cleared: set[int], added: dict[int, list[tuple[int, int]]]) -> _Field:
        """The same postings without the `cleared` slots, with `added` ones, over `term_count`
        terms. Only the terms that change are walked; the runs between them are copied whole."""
        removed = self._positions_of(cleared) if cleared else set()
        touched = sorted({bisect.bisect_right(self.offsets, p) - 1 for p in removed} | set(added))
        old_terms = len(self.offsets) - 1
        offsets, slots, freqs = array("I"), array("I"), array("B")
        previous = 0
        for term in [*touched, term_count]:
            lo, hi = self._offset(previous), self._offset(term)
            shift = len(slots) - lo
            slots.extend(self.slots[lo:hi])
            freqs.extend(self.freqs[lo:hi])
            offsets.extend(o + shift for o in self.offsets[previous:min(term, old_terms)])
            offsets.extend([len(slots)] * (term - max(previous, old_terms)))  # new terms, none in this field
            if term == term_count:
                break
            offsets.append(len(slots))
            for position in range(self._offset(term), self._offset(term + 1)) if term < old_terms else ():
                if position not in removed:
                    slots.append(self.slots[position])
                    freqs.append(self.freqs[position])
            for slot, freq in added.get(term, ()):
                slots.append(slot)
                freqs.append(min(freq, MAX_FREQUENCY))
            previous = term + 1
        offsets.append(len(slots))
        return _Field(offsets, slots, freqs)

    def arrays(self) -> tuple[array, array, array]:
        return self.offsets, self.slots, self.freqs


@dataclass
class Hit:
    doc: Doc
    score: float
    excerpt: str
    highlights: list[tuple[int, int]]


class Index:
    def __init__(self, docs: list[Doc | None] | None = None, terms_: list[str] | None = None,
                 title: _Field | None = None, body: _Field | None = None) -> None:
        self.docs: list[Doc | None] = docs or []
        self.terms: list[str] = terms_ or []
        self.vocabulary = {term: n for n, term in enumerate(self.terms)}
        self.title = title or _Field()
        self.body = body or _Field()
        self.slot_of = {doc.id: slot for slot, doc in enumerate(self.docs) if doc is not None}
        self.live = len(self.slot_of)
        title_lengths = [d.title_length if d else 0 for d in self.docs]
        body_lengths = [d.body_length if d else 0 for d in self.docs]
        self._title_norms = _norms(title_lengths, self.live)
        self._body_norms = _norms(body_lengths, self.live)
        self._masks: dict[Audience, bytearray] = {}
        self._category_masks: dict[tuple[Audience, str], bytearray] = {}

    # -- building ----------------------------------------------------------------------------------

    @classmethod
    def build(cls, entries: Iterable[Entry]) -> Index:
        return cls().with_changes(upserts=list(entries))

    def with_changes(self, *, upserts: list[Entry] = (), removals: Iterable[str] = ()) -> Index:
        """A new index with these articles added or replaced and those removed."""
        docs = list(self.docs)
        cleared = {self.slot_of[i] for i in removals if i in self.slot_of}
        cleared |= {self.slot_of[e.doc.id] for e in upserts if e.doc.id in self.slot_of}
        for slot in cleared:
            docs[slot] = None
        free = sorted(slot for slot, doc in enumerate(docs) if doc is None)
        terms_, vocabulary = list(self.terms), dict(self.vocabulary)
        added_title: dict[int, list[tuple[int, int]]] = {}
        added_body: dict[int, list[tuple[int, int]]] = {}
        for item in upserts:
            slot = free.pop(0) if free else len(docs)
            if slot == len(docs):
                docs.append(None)
            docs[slot] = item.doc
            for counts, added in ((item.title_terms, added_title), (item.body_terms, added_body)):
                for term, freq in counts.items():
                    number = vocabulary.get(term)
                    if number is None:
                        number = vocabulary[term] = len(terms_)
                        terms_.append(term)
                    added.setdefault(number, []).append((slot, freq))
        while docs and docs[-1] is None:  # a freed last slot is no longer referenced below
            docs.pop()
        return Index(docs, terms_, self.title.rebuilt(len(terms_), cleared, added_title),
                     self.body.rebuilt(len(terms_), cleared, added_body))

    # -- storage -----------------------------------------------------------------------------------

    def dumps(self) -> bytes:
        slot_code = "H" if len(self.docs) <= 65535 else "I"  # two bytes a posting instead of four
        header = json.dumps({"format": FORMAT, "slot_code": slot_code, "terms": self.terms,
                             "docs": [d.row() if d else None for d in self.docs]},
                            separators=(",", ":"), ensure_ascii=False).encode()
        parts = [header]
        for field_ in (self.title, self.body):
            parts += [_raw(field_.offsets), _raw(array(slot_code, field_.slots)), _raw(field_.freqs)]
        framed = b"".join(struct.pack("<I", len(p)) + p for p in parts)
        return zlib.compress(framed, COMPRESSION)

    @classmethod
    def loads(cls, blob: bytes) -> Index:
        data = zlib.decompress(blob)
        parts, at = [], 0
        while at < len(data):
            (size,) = struct.unpack_from("<I", data, at)
            parts.append(data[at + 4:at + 4 + size])
            at += 4 + size
        header = json.loads(parts[0])
        if header.get("format") != FORMAT:
            raise ValueError("unknown search index format")
        slot_code = header["slot_code"]
        arrays = [_array(code, raw) for code, raw in zip(f"I{slot_code}BI{slot_code}B", parts[1:], strict=True)]
        arrays[1], arrays[4] = array("I", arrays[1]), array("I", arrays[4])
        docs = [Doc.from_row(row) if row else None for row in header["docs"]]
        return cls(docs, header["terms"], _Field(*arrays[:3]), _Field(*arrays[3:]))

    # -- reading -----------------------------------------------------------------------------------

    def _mask(self, audience: Audience) -> bytearray:
        mask = self._masks.get(audience)
        if mask is None:
            if len(self._masks) > 256:
                self._masks.clear()
            mask = self._masks[audience] = bytearray(1 if d is not None and audience.sees(d) else 0 for d in self.docs)
        return mask

    def _filter(self, audience: Audience, category: str | None) -> bytearray:
        """The audience's mask, narrowed to `category` (cached too: the page's category links)."""
        if category is None:
            return self._mask(audience)
        key = (audience, category)
        mask = self._category_masks.get(key)
        if mask is None:
            if len(self._category_masks) > 256:
                self._category_masks.clear()
            readable = self._mask(audience)
            mask = self._category_masks[key] = bytearray(
                1 if readable[slot] and d.category == category else 0 for slot, d in enumerate(self.docs))
        return mask

    def visible(self, audience: Audience, category: str | None = None) -> list[Doc]:
        """Every document `audience` may read (in `category`), by category then title."""
        mask = self._filter(audience, category)
        found = [d for slot, d in enumerate(self.docs) if mask[slot]]
        return sorted(found, key=lambda d: ((d.category or "").casefold(), d.title.casefold(), d.id))

    def query_terms(self, query: str) -> list[tuple[int, float, str]]:
        """(term number, weight, the word to highlight) for each usable word of `query`:
        stop words dropped, stems looked up, a word not in the vocabulary replaced by the most
        frequent one a single edit away (a wrong, missing, extra or swapped letter)."""
        chosen: dict[int, tuple[float, str]] = {}
        for word in words(query[:1000]):
            if word in STOP_WORDS:
                continue
            term = stem(word)
            number = self.vocabulary.get(term)
            weight = 1.0
            if number is None or not self._frequency(number):
                number, weight = self._correction(term, word), TYPO_WEIGHT
            if number is not None and number not in chosen:
                chosen[number] = (weight, self.terms[number] if weight != 1.0 else term)
            if len(chosen) >= MAX_QUERY_TERMS:
                break
        return [(number, weight, highlight) for number, (weight, highlight) in chosen.items()]

    def _frequency(self, number: int) -> int:
        return self.title.frequency(number) + self.body.frequency(number)

    def _correction(self, term: str, word: str) -> int | None:
        if len(term) < 3:
            return None
        best, best_frequency = None, 0
        for candidate in _edits(term) | (_edits(word) if word != term else set()):
            number = self.vocabulary.get(candidate)
            if number is None:
                continue
            frequency = self._frequency(number)
            if frequency > best_frequency:
                best, best_frequency = number, frequency
        return best

    def search(self, query: str, audience: Audience, *, category: str | None = None, limit: int = 20) -> list[Hit]:
        """The `limit` best documents `audience` may read for `query`: BM25 over title
        (weighted) and body. Documents the audience may not read are skipped before they are
        scored, so they are never counted, ranked or excerpted."""
        chosen = self.query_terms(query)
        if not chosen or not self.live:
            return []
        scores = [0.0] * len(self.docs)
        for number, weight, _ in chosen:
            for field_, norms, field_weight in ((self.title, self._title_norms, TITLE_WEIGHT),
                                                (self.body, self._body_norms, 1.0)):
                slots, freqs = field_.postings(number)
                if not slots:
                    continue
                df = len(slots)
                factor = weight * field_weight * math.log(1 + (self.live - df + 0.5) / (df + 0.5)) * (K1 + 1)
                for slot, freq in zip(slots, freqs, strict=True):
                    scores[slot] += factor * freq / (freq + norms[slot])
        # Only now, before anything is ranked, counted or excerpted, what the audience may not
        # read (and other categories) is dropped. The walk over the slots and the ranking run in
        # C: `compress` yields the readable slots in order, `nlargest` keeps the best by score,
        # the lower slot first on a tie (it is stable), and slots that matched nothing score 0.
        readable = compress(range(len(self.docs)), self._filter(audience, category))
        best = [slot for slot in heapq.nlargest(limit, readable, key=scores.__getitem__) if scores[slot]]
        highlights = [h for _, _, h in chosen]
        return [Hit(self.docs[slot], round(scores[slot], 4), *excerpt_of(self.docs[slot].text, highlights))
                for slot in best]


def _norms(lengths: list[int], live: int) -> list[float]:
    average = (sum(lengths) / live) if live else 0.0
    if not average:
        return [K1 for _ in lengths]
    return [K1 * (1 - B + B * length / average) for length in lengths]


def _raw(values: array) -> bytes:
    if sys.byteorder == "little":
        return values.tobytes()
    swapped = array(values.typecode, values)
    swapped.byteswap()
    return swapped.tobytes()


def _array(code: str, raw: bytes) -> array:
    values = array(code)
    values.frombytes(raw)
    if sys.byteorder != "little":
        values.byteswap()
    return values


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _edits(word: str) -> set[str]:
    """Every string one edit from `word`: a letter deleted, swapped with the next, replaced, inserted."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    inserts = {a + c + b for a, b in splits for c in _LETTERS}
    return deletes | swaps | replaces | inserts


@lru_cache(maxsize=64)
def _word_start_pattern(prefixes: tuple[str, ...]) -> re.Pattern[str]:
    """A whole word that starts with one of `prefixes` (a query's words, casefolded)."""
    alternatives = "|".join(re.escape(p) for p in sorted(set(prefixes), key=len, reverse=True))
    return re.compile(rf"(?<![^\W_])(?:{alternatives})[^\W_]*")


def _matching_words(text: str, prefixes: tuple[str, ...]) -> list[tuple[int, int]]:
    """(start, end) of the words of `text` whose casefolded form starts with one of `prefixes`.
    One regular-expression pass over the casefolded text; when casefolding changes the text's
    length (ß, İ: offsets would move), word by word instead."""
    if not prefixes:
        return []
    folded = text.casefold()
    if len(folded) == len(text):
        return [m.span() for m in _word_start_pattern(prefixes).finditer(folded)]
    return [m.span() for m in _WORD.finditer(text) if m.group().casefold().startswith(prefixes)]


def excerpt_of(text: str, highlights: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """About EXCERPT_CHARS of `text` from the sentence of its first matching word, and the
    (start, end) offsets of the words there that match (start with a query stem)."""
    spans = _matching_words(text, tuple(h for h in highlights if h))
    start = 0
    if spans and spans[0][0] > EXCERPT_CHARS // 2:
        starts = [m.end() for m in _SENTENCE_START.finditer(text, 0, spans[0][0] + 1)]
        start = starts[-1] if starts and spans[0][0] - starts[-1] < EXCERPT_CHARS // 2 else spans[0][0] - 40
        start = text.find(" ", max(0, start - 1)) + 1 if start and text[start - 1] != " " else start
    end = min(len(text), start + EXCERPT_CHARS)
    if end < len(text):
        cut = text.rfind(" ", start, end)
        end = cut if cut > start else end
    excerpt = text[start:end].strip()
    shift = start + (len(text[start:end]) - len(text[start:end].lstrip()))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    marks = [(s - shift + len(prefix), e - shift + len(prefix)) for s, e in spans
             if s >= shift and e <= shift + len(excerpt)]
    return prefix + excerpt + suffix, marks
