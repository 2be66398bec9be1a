"""The knowledge base: agent and portal routes, the search index's reads at 500 and 5,000
articles (the same calls and items), and the search section (bench/search.py)."""

from __future__ import annotations

from functools import cache
from typing import Any

from bench.scenarios import Request, growth, scenario
from bench.stage import Stage

ARTICLES, PORTAL = "/agent/kb/articles", "/portal/kb/articles"


def _writer(stage: Stage) -> str:
    return stage.agents.token("bench-writer@helpdesk.test", ["manage-knowledge"])


def _article(stage: Stage, **fields: Any) -> dict[str, Any]:
    body = {"title": stage.unique("Printer setup"), "body": "Connect the printer, then install the driver.",
            "status": "published", "category": "Hardware", **fields}
    return stage.expect(stage.api.post(ARTICLES, body, token=_writer(stage)), 201, "create article")


@scenario("GET", ARTICLES)
def list_articles(stage: Stage) -> Request:
    _article(stage)
    return Request("GET", f"{ARTICLES}?limit=25", token=stage.agent, note="settling due suggestions: 1 Query")


@scenario("POST", ARTICLES)
def create_article(stage: Stage) -> Request:
    _article(stage)  # the index exists and this container has it
    return Request("POST", ARTICLES, token=_writer(stage), expect=201, note="published: the index is rewritten",
                   json={"title": stage.unique("Reset a password"), "body": "Open *Forgot password*.",
                         "status": "published"})


@scenario("GET", f"{ARTICLES}/{{article_id}}")
def get_article(stage: Stage) -> Request:
    return Request("GET", f"{ARTICLES}/{_article(stage)['id']}", token=stage.agent)


@scenario("PATCH", f"{ARTICLES}/{{article_id}}")
def update_article(stage: Stage) -> Request:
    made = _article(stage)
    return Request("PATCH", f"{ARTICLES}/{made['id']}", token=_writer(stage),
                   json={"title": stage.unique("Printer set-up"), "version": made["version"]},
                   note="published: the index is rewritten")


@scenario("DELETE", f"{ARTICLES}/{{article_id}}")
def delete_article(stage: Stage) -> Request:
    return Request("DELETE", f"{ARTICLES}/{_article(stage)['id']}", token=_writer(stage), expect=204)


@scenario("GET", PORTAL)
def search(stage: Stage) -> Request:
    _article(stage)
    _, bearer = stage.shared_client
    return Request("GET", f"{PORTAL}?q=printer+drivers", token=bearer,
                   note="a client's search: session + index version")


@scenario("GET", f"{PORTAL}/{{article_id}}")
def view(stage: Stage) -> Request:
    _, bearer = stage.shared_client
    return Request("GET", f"{PORTAL}/{_article(stage)['id']}", token=bearer, note="the view counted by the read")


@scenario("POST", f"{PORTAL}/{{article_id}}/feedback")
def feedback(stage: Stage) -> Request:
    _, bearer = stage.shared_client
    return Request("POST", f"{PORTAL}/{_article(stage)['id']}/feedback", token=bearer, expect=204,
                   json={"helpful": True, "opened_from": "suggest"})


# --- growth: the index's reads do not grow with the articles ------------------------------------

GROWTH_SIZES_NOTE = "search reads the index version only (the index is cached in the warm container)"


def seed_articles(start: int, stop: int) -> None:
    """Published articles of ~60 words, stored in bulk, then added to the index in one change."""
    from bench.search import corpus_text
    from bench.seed import put_models
    from chalicelib.ids import utcnow
    from chalicelib.models.articles import ARTICLE_KIND, ArticleModel
    from chalicelib.services import kb_index, kb_search

    now = utcnow()
    items, entries = [], []
    for n in range(start, stop):
        article_id = f"01BENCHARTICLE{n:012d}"
        title, text = corpus_text(n, words=60)
        items.append(ArticleModel(article_id, kind=ARTICLE_KIND, title=title, body=text, html=f"<p>{text}</p>",
                                  status="published", visibility="public", created_at=now, updated_at=now,
                                  updated_key=f"{now.isoformat()}#{article_id}", version=1))
        entries.append(kb_search.entry(article_id, title=title, text=text, category=None, visibility="public",
                                       updated_at=now.isoformat()))
    put_models(items)
    kb_index.change(lambda index: index.with_changes(upserts=entries))


@cache
def _bearer(stage: Stage) -> str:
    return stage.shared_client[1]


@growth("GET /portal/kb/articles?q=", table="articles", seed=seed_articles, note=GROWTH_SIZES_NOTE)
def search_growth(stage: Stage) -> Request:
    return Request("GET", f"{PORTAL}?q=printer+driver+setup", token=_bearer(stage))


@growth("GET /portal/kb/articles", table="articles", seed=seed_articles, note="first page, from the index")
def list_growth(stage: Stage) -> Request:
    return Request("GET", f"{PORTAL}?limit=20", token=_bearer(stage))
