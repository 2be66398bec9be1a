"""Knowledge-base articles (product.md §9): agents write them, the portal lists, searches and
shows the published ones each visitor may read, and counts views, votes and deflections.

Every write of an article that is or was published changes the search index in the same
request (services/kb_index.py), so the next search anywhere sees it.
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.identity import ActingAgent, ActingClient
from chalicelib.ids import iso, new_id, utcnow
from chalicelib.models.articles import (
    ARTICLE_KIND,
    CLIENTS,
    ORGANIZATIONS,
    PUBLIC,
    PUBLISHED,
    SUGGESTED_KIND,
    VOTE_KIND,
    ArticleModel,
)
from chalicelib.models.base import get_of_kind
from chalicelib.services import kb_index, kb_search, kb_text
from chalicelib.services.visibility import article_visible

MAX_BODY_CHARS = 100_000  # Markdown, as the agent wrote it
# The Markdown and its HTML share one item (DynamoDB: 400 KB). Escaping can make the HTML several
# times longer than the Markdown ("<" becomes "&lt;"), so the sum is checked too.
MAX_STORED_BYTES = 350_000
SUGGESTION_WINDOW = timedelta(minutes=30)  # opened from a suggestion, then no ticket for this long: deflected
SETTLE_BATCH = 25


# --- views ----------------------------------------------------------------------------------------

def agent_view(item: ArticleModel) -> dict[str, Any]:
    return {"id": item.id, "title": item.title, "body": item.body, "html": item.html, "category": item.category,
            "status": item.status, "visibility": item.visibility,
            "organization_ids": sorted(item.organization_ids or ()), "author": item.author,
            "created_at": iso(item.created_at), "updated_at": iso(item.updated_at), "version": int(item.version or 0),
            "views": int(item.views or 0),
            "helpful": {"yes": int(item.helpful_yes or 0), "no": int(item.helpful_no or 0)},
            "deflections": int(item.deflections or 0)}


def agent_summary(item: ArticleModel) -> dict[str, Any]:
    """An article in the agents' list: everything but the body and its HTML (a page of 100
    long articles would not fit one answer)."""
    view = agent_view(item)
    del view["body"], view["html"]
    return view


def portal_view(item: ArticleModel) -> dict[str, Any]:
    return {"id": item.id, "title": item.title, "html": item.html, "category": item.category,
            "updated_at": iso(item.updated_at)}


def _summary(doc: kb_search.Doc, excerpt: str | None = None, highlights: list | None = None) -> dict[str, Any]:
    if excerpt is None:
        excerpt, highlights = kb_search.excerpt_of(doc.text, [])
    return {"id": doc.id, "title": doc.title, "category": doc.category, "excerpt": excerpt,
            "highlights": [list(h) for h in highlights or ()], "updated_at": doc.updated_at}


def audience(client: ActingClient | None) -> kb_search.Audience:
    if client is None:
        return kb_search.Audience()
    return kb_search.Audience(signed_in=True, organization_id=client.organization_id)


# --- agents ---------------------------------------------------------------------------------------

def _entry(item: ArticleModel) -> kb_search.Entry:
    return kb_search.entry(item.id, title=item.title or "", text=kb_text.plain_text(item.html or ""),
                           category=item.category,
                           visibility=item.visibility or PUBLIC, organization_ids=sorted(item.organization_ids or ()),
                           updated_at=iso(item.updated_at) or "")


def _reindex(item: ArticleModel | None, *, removed_id: str | None = None) -> None:
    """Bring the search index in step with one article: in it when published, out otherwise."""
    if item is not None and item.status == PUBLISHED:
        entry = _entry(item)
        kb_index.change(lambda index: index.with_changes(upserts=[entry]))
    else:
        article_id = removed_id or (item.id if item is not None else None)
        kb_index.change(lambda index: index.with_changes(removals=[article_id]))


def _render(item: ArticleModel) -> None:
    if len(item.body or "") > MAX_BODY_CHARS:
        raise InvalidInput(f"The body is longer than {MAX_BODY_CHARS} characters.", fields={"body": "too long"})
    item.html = kb_text.render_html(item.body or "")
    if len(item.body.encode()) + len(item.html.encode()) > MAX_STORED_BYTES:
        raise InvalidInput("The body is too long once rendered; split the article.", fields={"body": "too long"})


def _check_audience(visibility: str, organization_ids: list[str] | None) -> set[str] | None:
    ids = {i for i in (organization_ids or ()) if i}
    if visibility == ORGANIZATIONS and not ids:
        raise InvalidInput("Name at least one organization.", fields={"organization_ids": "required"})
    return ids if visibility == ORGANIZATIONS else None


def _updated_key(when: datetime, article_id: str) -> str:
    return f"{when.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{article_id}"


def create(agent: ActingAgent, *, title: str, body: str, category: str | None, status: str, visibility: str,
           organization_ids: list[str] | None) -> ArticleModel:
    now, article_id = utcnow(), new_id()
    item = ArticleModel(article_id, kind=ARTICLE_KIND, title=title, body=body, category=category or None,
                        status=status, visibility=visibility,
                        organization_ids=_check_audience(visibility, organization_ids),
                        author=agent.display_name, updated_by=agent.display_name, created_at=now, updated_at=now,
                        updated_key=_updated_key(now, article_id), version=1, views=0, helpful_yes=0, helpful_no=0,
                        deflections=0)
    _render(item)
    item.save(condition=ArticleModel.id.does_not_exist())
    if status == PUBLISHED:
        _reindex(item)
    return item


def _load(article_id: str) -> ArticleModel:
    item = get_of_kind(ArticleModel, article_id, ARTICLE_KIND)
    if item is None:
        raise NotFound("Article not found.")
    return item


def get_for_agent(article_id: str) -> ArticleModel:
    settle_due_suggestions()
    return _load(article_id)


def list_for_agent(*, limit: int, start_key: dict | None) -> tuple[list[ArticleModel], dict | None]:
    settle_due_suggestions()
    result = ArticleModel.by_kind_updated.query(ARTICLE_KIND, scan_index_forward=False, limit=limit,
                                                last_evaluated_key=start_key)
    items = list(result)
    return items, result.last_evaluated_key


EDITABLE = ("title", "body", "category", "status", "visibility", "organization_ids")


def update(agent: ActingAgent, article_id: str, changes: dict[str, Any], expected_version: int | None) -> ArticleModel:
    item = _load(article_id)
    if expected_version is not None and expected_version != int(item.version or 0):
        raise Conflict("The article was changed meanwhile; reload it and try again.", fields={"version": "stale"})
    was_published = item.status == PUBLISHED
    version = int(item.version or 0)
    for name in EDITABLE:
        if name in changes and changes[name] is not None:
            setattr(item, name, changes[name])
    if "category" in changes:
        item.category = changes["category"] or None
    item.organization_ids = _check_audience(item.visibility or PUBLIC, sorted(
        changes["organization_ids"] if changes.get("organization_ids") is not None else (item.organization_ids or ())))
    if "body" in changes:
        _render(item)
    now = utcnow()
    item.updated_at, item.updated_by, item.updated_key = now, agent.display_name, _updated_key(now, item.id)
    item.version = version + 1
    # Counters are left out of the write: a view or a vote meanwhile is not lost.
    actions = [getattr(ArticleModel, name).set(getattr(item, name)) for name in
               ("title", "body", "html", "status", "visibility", "author", "updated_by", "updated_at",
                "updated_key", "version")]
    actions.append(ArticleModel.category.set(item.category) if item.category else ArticleModel.category.remove())
    actions.append(ArticleModel.organization_ids.set(item.organization_ids) if item.organization_ids
                   else ArticleModel.organization_ids.remove())
    try:
        item.update(actions=actions, condition=(ArticleModel.kind == ARTICLE_KIND) & (ArticleModel.version == version))
    except UpdateError as error:
        if _condition_failed(error):
            raise Conflict("The article was changed meanwhile; reload it and try again.",
                           fields={"version": "stale"}) from None
        raise
    if was_published or item.status == PUBLISHED:
        _reindex(item)
    return item


def delete(article_id: str) -> None:
    item = _load(article_id)
    item.delete(condition=ArticleModel.kind == ARTICLE_KIND)
    if item.status == PUBLISHED:
        _reindex(None, removed_id=article_id)


def _condition_failed(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) in ("ConditionalCheckFailedException",
                                                           "TransactionCanceledException")


# --- the portal -----------------------------------------------------------------------------------

def list_published(client: ActingClient | None, *, category: str | None, offset: int, limit: int
                   ) -> tuple[list[dict[str, Any]], int | None]:
    """Published articles the visitor may read, by category then title, from the search
    index's document table (no read of the articles). Returns the page and the next offset."""
    docs = kb_index.current().visible(audience(client), category)
    page = docs[offset:offset + limit]
    following = offset + limit if offset + limit < len(docs) else None
    return [_summary(doc) for doc in page], following


def search(client: ActingClient | None, query: str, *, category: str | None, limit: int = 20) -> list[dict[str, Any]]:
    hits = kb_index.current().search(query, audience(client), category=category, limit=limit)
    return [_summary(hit.doc, hit.excerpt, hit.highlights) for hit in hits]


def _readable_condition(client: ActingClient | None) -> Any:
    """article_visible's rule for a portal visitor, as a DynamoDB condition."""
    condition = (ArticleModel.kind == ARTICLE_KIND) & (ArticleModel.status == PUBLISHED)
    if client is None:
        return condition & (ArticleModel.visibility == PUBLIC)
    readable = ArticleModel.visibility.is_in(PUBLIC, CLIENTS)
    if client.organization_id:
        readable = readable | ((ArticleModel.visibility == ORGANIZATIONS)
                               & ArticleModel.organization_ids.contains(client.organization_id))
    return condition & readable


def _valid_key(article_id: str) -> bool:
    return bool(article_id) and len(article_id) <= 64 and "#" not in article_id


def read_published(article_id: str, client: ActingClient | None) -> ArticleModel:
    """The article for this visitor, counting the view: one UpdateItem (ADD views) on condition
    the visitor may read it, which answers the article itself (ALL_NEW)."""
    if not _valid_key(article_id):
        raise NotFound("Article not found.")
    item = ArticleModel(article_id)
    try:
        item.update(actions=[ArticleModel.views.add(1)], condition=_readable_condition(client))
    except UpdateError as error:
        if _condition_failed(error):
            raise NotFound("Article not found.") from None
        raise
    if not article_visible(client, status=item.status, visibility=item.visibility,
                           organization_ids=item.organization_ids):
        raise NotFound("Article not found.")
    return item


def _voter_key(article_id: str, voter: str) -> str:
    return f"vote#{article_id}#{hashlib.sha256(voter.encode()).hexdigest()[:32]}"


def feedback(article_id: str, client: ActingClient | None, *, voter: str, helpful: bool | None,
             opened_from: str | None) -> None:
    """A "was this helpful" vote (the first per voter counts; later ones change nothing) and/or
    an open from the new-ticket form's suggestions (signed-in clients: pending for 30 minutes).
    One transaction, on condition the visitor may read the article (else 404)."""
    if not _valid_key(article_id):
        raise NotFound("Article not found.")
    now = utcnow()
    readable = _readable_condition(client)
    suggested = opened_from == "suggest" and client is not None
    if helpful is None and not suggested:
        _require_readable(article_id, client)
        return
    with_vote = helpful is not None
    for _attempt in (0, 1):
        try:
            with TransactWrite(connection=ArticleModel._get_connection().connection) as tx:
                if with_vote:
                    tx.save(ArticleModel(_voter_key(article_id, voter), kind=VOTE_KIND, article_id=article_id,
                                         opened_at=iso(now)), condition=ArticleModel.id.does_not_exist())
                    counter = ArticleModel.helpful_yes if helpful else ArticleModel.helpful_no
                    tx.update(ArticleModel(article_id), actions=[counter.add(1)], condition=readable)
                else:
                    tx.condition_check(ArticleModel, article_id, condition=readable)
                if suggested:
                    tx.save(_suggestion(article_id, client.id, now))
            return
        except TransactWriteError as error:
            reasons = [getattr(r, "code", None) for r in (error.cancellation_reasons or [])]
            if with_vote and reasons and reasons[0] == "ConditionalCheckFailed" and \
                    (len(reasons) < 2 or reasons[1] != "ConditionalCheckFailed"):
                if not suggested:
                    return  # already voted: the first vote stands
                with_vote = False  # record the suggestion alone
                continue
            if "ConditionalCheckFailed" in reasons:
                raise NotFound("Article not found.") from None
            raise
    raise NotFound("Article not found.")


def _require_readable(article_id: str, client: ActingClient | None) -> None:
    item = get_of_kind(ArticleModel, article_id, ARTICLE_KIND, consistent_read=False)
    if item is None or not article_visible(client, status=item.status, visibility=item.visibility,
                                           organization_ids=item.organization_ids):
        raise NotFound("Article not found.")


def _suggestion(article_id: str, client_id: str, now: datetime) -> ArticleModel:
    due = now + SUGGESTION_WINDOW
    return ArticleModel(f"suggested#{article_id}#{client_id}", kind=SUGGESTED_KIND, article_id=article_id,
                        client_id=client_id, opened_at=_time_key(now), pending="due", due_at=_time_key(due),
                        expires_ttl=int((due + timedelta(days=7)).timestamp()))


def _time_key(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- deflections ----------------------------------------------------------------------------------

def _opened_ticket(client_id: str, opened_at: str, due_at: str) -> bool:
    """Did this client open a ticket in the portal between the two times? Its requester index
    is ordered by the last change a client saw, which is never before the ticket's creation."""
    from chalicelib.models.tickets import TicketModel

    opened = datetime.strptime(opened_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    due = datetime.strptime(due_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    tickets = TicketModel.by_requester_client_activity.query(
        client_id, TicketModel.client_activity_at >= opened_at,
        filter_condition=(TicketModel.created_by == f"client:{client_id}")
        & TicketModel.created_at.between(opened, due),
        page_size=50)
    return next(iter(tickets), None) is not None


def settle_due_suggestions(now: datetime | None = None, *, limit: int = SETTLE_BATCH) -> int:
    """Count the suggestions whose 30 minutes are over: a deflection when the client opened no
    ticket meanwhile. Run lazily before agents read the counts (one Query, usually empty) and
    by the local worker; each is settled once (conditional delete). Returns how many counted."""
    now = now or utcnow()
    keys = [item.id for item in ArticleModel.suggested_due.query(
        "due", ArticleModel.due_at <= _time_key(now), limit=limit)]
    counted = 0
    for item in ArticleModel.batch_get(keys) if keys else ():
        deflected = not _opened_ticket(item.client_id, item.opened_at, item.due_at)
        try:
            with TransactWrite(connection=ArticleModel._get_connection().connection) as tx:
                tx.delete(item, condition=ArticleModel.pending.exists())
                if deflected:
                    tx.update(ArticleModel(item.article_id), actions=[ArticleModel.deflections.add(1)],
                              condition=ArticleModel.kind == ARTICLE_KIND)
            counted += deflected
        except TransactWriteError:
            # Settled by someone else (nothing to do), or the article is gone: the suggestion goes.
            with contextlib.suppress(DeleteError):
                item.delete(condition=ArticleModel.pending.exists())
    return counted


def rebuild_index() -> int:
    """The search index from every published article (recovery, seeding). Reads them all."""
    entries = [_entry(item) for item in ArticleModel.by_kind_updated.query(ARTICLE_KIND)
               if item.status == PUBLISHED]
    kb_index.change(lambda _: kb_search.Index.build(entries))
    return len(entries)

