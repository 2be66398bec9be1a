"""Knowledge-base articles (api.md, "Added in phase 2")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.schemas.common import PageQuery, Query, Schema, Strict, one_line


class ArticleListQuery(PageQuery):
    pass

ArticleTitle = one_line(200)
Category = one_line(80, min_length=0)
Status = Literal["draft", "published"]
Visibility = Literal["public", "clients", "organizations"]
OrganizationId = one_line(64)
# Markdown, at most 100,000 characters (services/kb_articles.py: MAX_BODY_CHARS).
BODY_LIMIT, BODY_HELP = 100_000, "Markdown; rendered to sanitized HTML on save."


class ArticleCreate(Strict):
    title: ArticleTitle
    body: str = Field(max_length=BODY_LIMIT, description=BODY_HELP)
    category: Category | None = None
    status: Status = "draft"
    visibility: Visibility = "public"
    organization_ids: list[OrganizationId] | None = Field(None, max_length=100)


class ArticleUpdate(Strict):
    title: ArticleTitle | None = None
    body: str | None = Field(None, max_length=BODY_LIMIT, description=BODY_HELP)
    category: Category | None = None
    status: Status | None = None
    visibility: Visibility | None = None
    organization_ids: list[OrganizationId] | None = Field(None, max_length=100)
    version: int | None = Field(None, ge=0, description="The version read: a stale one is 409.")


class Helpful(Schema):
    yes: int
    no: int


class ArticleListItem(Schema):
    id: str
    title: str
    category: str | None
    status: str
    visibility: str
    organization_ids: list[str]
    author: str | None
    created_at: str | None
    updated_at: str | None
    version: int
    views: int
    helpful: Helpful
    deflections: int


class Article(ArticleListItem):
    body: str
    html: str


class ArticleListPage(Schema):
    items: list[ArticleListItem]
    next_cursor: str | None


class PortalArticleQuery(Query):
    category: Category | None = Field(None, description="Only this category.")
    q: str | None = Field(None, max_length=1000, description=(
        "Ranked full-text search over title and body: one page of at most 20, `next_cursor` null."))
    limit: int = Field(20, ge=1, le=100, description="Page size without `q` (max 100); with `q` at most 20.")
    cursor: str | None = Field(None, max_length=2048, description="Opaque cursor from `next_cursor`.")


class ArticleSummary(Schema):
    id: str
    title: str
    category: str | None
    excerpt: str
    highlights: list[list[int]] = Field(description="[start, end) character offsets of matched words in `excerpt`.")
    updated_at: str | None


class ArticleSummaryPage(Schema):
    items: list[ArticleSummary]
    next_cursor: str | None


class PortalArticle(Schema):
    id: str
    title: str
    html: str
    category: str | None
    updated_at: str | None


class ArticleFeedback(Strict):
    helpful: bool | None = None
    opened_from: Literal["suggest"] | None = None



