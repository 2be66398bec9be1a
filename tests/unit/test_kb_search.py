"""The knowledge base's search engine, pure: ranking, stemming, typos, visibility, the stored
form and incremental edits (an edited index equals one built from scratch)."""

from __future__ import annotations

import pytest

from chalicelib.services import kb_search as ks
from chalicelib.services.visibility import article_visible

ANYONE, CLIENT_A, CLIENT_B = ks.Audience(), ks.Audience(True, "org-a"), ks.Audience(True, "org-b")


def entry(article_id, title, text, visibility="public", organizations=(), category=None):
    return ks.entry(article_id, title=title, text=text, category=category, visibility=visibility,
                    organization_ids=organizations, updated_at="2026-01-01T00:00:00Z")


@pytest.fixture
def index():
    return ks.Index.build([
        entry("title", "Configuring printers", "How to install the driver and print a test page."),
        entry("body", "Office setup", "Every office has printers; configure them from the driver page."),
        entry("other", "Resetting your password", "Use the forgot password link on the log-in page."),
    ])


def ids(hits):
    return [hit.doc.id for hit in hits]


def test_a_title_match_ranks_above_a_body_match(index):
    assert ids(index.search("printers", ANYONE)) == ["title", "body"]
    assert ids(index.search("configure", ANYONE))[0] == "title"


@pytest.mark.parametrize("query", ["printer", "printing", "PRINTERS", "configured printer"])
def test_stemmed_forms_find_the_article(index, query):
    assert ids(index.search(query, ANYONE))[0] == "title"


@pytest.mark.parametrize("query, expected", [
    ("pasword", "other"), ("passwrod", "other"), ("passsword", "other"), ("printr", "title"),
    ("pirnters", "title"), ("prunters", "title"),
])
def test_one_wrong_missing_extra_or_swapped_letter_is_forgiven(index, query, expected):
    assert ids(index.search(query, ANYONE))[0] == expected


@pytest.mark.parametrize("query", ["", "   ", "the and of", "x" * 1000, "AND OR * ~ \" -- ( ) : ^", "🙂",
                                   "zzzzqqqq", "a" * 41])
def test_odd_queries_give_a_safe_answer(index, query):
    assert isinstance(index.search(query, ANYONE), list)


def test_results_carry_an_excerpt_with_the_matched_words_marked(index):
    hit = index.search("forgot link", ANYONE)[0]
    marked = [hit.excerpt[start:end] for start, end in hit.highlights]
    assert marked == ["forgot", "link"]


def test_a_long_body_is_excerpted_around_the_first_match():
    text = "Intro sentence here. " * 20 + "The printer needs toner. " + "More words follow. " * 10
    hit = ks.Index.build([entry("x", "T", text)]).search("toner", ANYONE)[0]
    assert hit.excerpt.startswith("…") and "toner" in hit.excerpt
    start, end = hit.highlights[0]
    assert hit.excerpt[start:end] == "toner"


VISIBILITY_CASES = [("public", ()), ("clients", ()), ("organizations", ("org-a",))]


@pytest.mark.parametrize("audience, readable", [
    (ANYONE, {"public"}), (CLIENT_A, {"public", "clients", "organizations"}), (CLIENT_B, {"public", "clients"}),
    (ks.Audience(everything=True), {"public", "clients", "organizations"}),
])
def test_search_and_lists_only_ever_show_what_the_audience_may_read(audience, readable):
    index = ks.Index.build([entry(v, f"Zebra {v}", "zebra crossing", v, orgs) for v, orgs in VISIBILITY_CASES])
    assert set(ids(index.search("zebra", audience))) == readable
    assert {doc.id for doc in index.visible(audience)} == readable


@pytest.mark.parametrize("visibility, orgs", VISIBILITY_CASES)
@pytest.mark.parametrize("audience", [ANYONE, CLIENT_A, CLIENT_B])
def test_the_index_filter_is_the_visibility_rule(visibility, orgs, audience):
    from chalicelib.identity import ActingClient

    caller = None if not audience.signed_in else ActingClient("c", "c@x.test", None, None, audience.organization_id,
                                                              "client")
    doc = entry("d", "T", "x", visibility, orgs).doc
    assert audience.sees(doc) == article_visible(caller, status="published", visibility=visibility,
                                                 organization_ids=orgs)


def postings(index):
    out = {}
    for name in ("title", "body"):
        field = getattr(index, name)
        for number, term in enumerate(index.terms):
            slots, freqs = field.postings(number)
            if len(slots):
                out[(name, term)] = sorted((index.docs[s].id, f) for s, f in zip(slots, freqs, strict=True))
    return out


def test_edits_give_the_index_a_build_from_scratch_would():
    articles = [entry(f"a{n}", f"Title {n} printer", f"body words {n} toner paper tray {n % 3}") for n in range(12)]
    edited = ks.Index.build(articles[:6])
    edited = edited.with_changes(upserts=articles[6:])
    changed = entry("a3", "Title three scanner", "a different body entirely")
    edited = edited.with_changes(upserts=[changed], removals=["a5", "a9", "missing"])
    expected = ks.Index.build([a for a in articles if a.doc.id not in ("a3", "a5", "a9")] + [changed])
    assert postings(edited) == postings(expected)
    assert ids(edited.search("scanner", ANYONE)) == ["a3"]
    assert "a5" not in ids(edited.search("printer", ANYONE))


def test_the_stored_form_loads_back_the_same():
    index = ks.Index.build([entry(f"a{n}", f"Title {n}", "printer toner " * n, "organizations", ("o",))
                            for n in range(1, 30)]).with_changes(removals=["a4"])
    loaded = ks.Index.loads(index.dumps())
    assert postings(loaded) == postings(index)
    assert [d.row() if d else None for d in loaded.docs] == [d.row() if d else None for d in index.docs]
    assert ids(loaded.search("toner", CLIENT_B)) == []
