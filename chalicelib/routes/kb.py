"""The knowledge base (product.md §9): agents write articles (`manage-knowledge`; every agent
reads them); the portal lists, searches and shows the published ones a visitor may read,
with or without a session, and takes "was this helpful" votes and suggestion opens."""

from __future__ import annotations

import re

from chalicelib.routes.api import Call, RouteGroup, page, start_key
from chalicelib.services import kb_articles as service

routes = RouteGroup(__name__, auth="agent", tag="knowledge-base")

PERMISSION = "manage-knowledge"
SEARCH_PAGE = 20
# A browser without a session names itself with a random id it keeps (the page's localStorage),
# so it votes once; without one, its address and user agent stand in.
VISITOR_HEADER = "x-portico-visitor"
_VISITOR = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@routes.route("/agent/kb/articles", "GET", summary="Every article, drafts included, most recently updated first "
              "(without body and HTML: GET one for those)",
              query="kb.ArticleListQuery", response="kb.ArticleListPage")
def list_articles(call: Call) -> dict:
    items, last_key = service.list_for_agent(limit=call.query.limit, start_key=start_key(call))
    return page(call, [service.agent_summary(item) for item in items], last_key)


@routes.route("/agent/kb/articles", "POST", status=201, summary="Write an article", permission=PERMISSION,
              body="kb.ArticleCreate", response="kb.Article", idempotent=True)
def create_article(call: Call) -> dict:
    body = call.body
    item = service.create(call.agent, title=body.title, body=body.body, category=body.category, status=body.status,
                          visibility=body.visibility, organization_ids=body.organization_ids)
    return service.agent_view(item)


@routes.route("/agent/kb/articles/{article_id}", "GET", summary="An article with its counters",
              response="kb.Article", errors=(404,))
def get_article(call: Call, article_id: str) -> dict:
    return service.agent_view(service.get_for_agent(article_id))


@routes.route("/agent/kb/articles/{article_id}", "PATCH", summary="Edit, publish or unpublish an article",
              permission=PERMISSION, body="kb.ArticleUpdate", response="kb.Article", errors=(404, 409))
def update_article(call: Call, article_id: str) -> dict:
    changes = call.body.model_dump(exclude_unset=True)
    version = changes.pop("version", None)
    return service.agent_view(service.update(call.agent, article_id, changes, version))


@routes.route("/agent/kb/articles/{article_id}", "DELETE", status=204, summary="Delete an article",
              permission=PERMISSION, errors=(404,))
def delete_article(call: Call, article_id: str) -> None:
    service.delete(article_id)


@routes.route("/portal/kb/articles", "GET", auth="portal_optional",
              summary="Published articles the visitor may read (no session: public ones), by category "
                      "then title; with `q`, ranked search (one page of at most 20)",
              query="kb.PortalArticleQuery", response="kb.ArticleSummaryPage")
def portal_articles(call: Call) -> dict:
    query = call.query
    if query.q and query.q.strip():
        items = service.search(call.client, query.q, category=query.category or None,
                               limit=min(query.limit, SEARCH_PAGE))
        return {"items": items, "next_cursor": None}
    offset = int((start_key(call) or {}).get("offset", 0))
    items, following = service.list_published(call.client, category=query.category or None, offset=offset,
                                              limit=query.limit)
    return page(call, items, {"offset": following} if following is not None else None)


@routes.route("/portal/kb/articles/{article_id}", "GET", auth="portal_optional",
              summary="A published article the visitor may read (counts a view)", response="kb.PortalArticle",
              errors=(404,))
def portal_article(call: Call, article_id: str) -> dict:
    return service.portal_view(service.read_published(article_id, call.client))


def _voter(call: Call) -> str:
    if call.client is not None:
        return f"client:{call.client.id}"
    visitor = call.header(VISITOR_HEADER) or ""
    if _VISITOR.match(visitor):
        return f"visitor:{visitor}"
    return f"address:{call.source_ip}|{call.user_agent}"


@routes.route("/portal/kb/articles/{article_id}/feedback", "POST", status=204, auth="portal_optional",
              summary="Was this helpful (one vote per session or browser), or opened from the new-ticket "
                      "form's suggestions", body="kb.ArticleFeedback", errors=(404,))
def portal_feedback(call: Call, article_id: str) -> None:
    service.feedback(article_id, call.client, voter=_voter(call), helpful=call.body.helpful,
                     opened_from=call.body.opened_from)
