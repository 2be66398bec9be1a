"""The articles table: knowledge-base articles and what belongs to them (product.md §9).

Items, by `id`:
- `<ULID>`, kind `article`: title, Markdown body, its sanitized HTML (rendered on save),
  category, status, visibility, counters (views, helpful yes/no, deflections) and a
  `version` checked by hand on every agent write. Not PynamoDB's VersionAttribute: counters
  are bumped with UpdateItem ADD and must not change the version an agent edits against.
- `search#meta`, kind `search_meta`: the search index's current version and its chunk count;
  `search#<version>#<n>`, kind `search_chunk`: the compressed index, cut into items under
  DynamoDB's 400 KB (services/kb_index.py).
- `vote#<article>#<voter>`, kind `vote`: one "was this helpful" per session or browser.
- `suggested#<article>#<client>`, kind `suggested`: an article opened from the new-ticket
  form's suggestions, pending for 30 minutes (sparse index `suggested_due`), then counted as
  a deflection unless that client opened a ticket meanwhile.
"""

from __future__ import annotations

from pynamodb.attributes import BinaryAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.models.base import UTCDateTime, index_meta, table_meta

ARTICLE_KIND = "article"
SEARCH_META_KIND, SEARCH_CHUNK_KIND = "search_meta", "search_chunk"
VOTE_KIND, SUGGESTED_KIND = "vote", "suggested"
SEARCH_META_ID = "search#meta"

DRAFT, PUBLISHED = "draft", "published"
STATUSES = (DRAFT, PUBLISHED)
PUBLIC, CLIENTS, ORGANIZATIONS = "public", "clients", "organizations"
VISIBILITIES = (PUBLIC, CLIENTS, ORGANIZATIONS)


class ArticlesByKind(GlobalSecondaryIndex):
    """Every article, most recently updated first: the agents' list (and the index rebuild)."""

    Meta = index_meta("by_kind_updated")

    kind = UnicodeAttribute(hash_key=True)
    updated_key = UnicodeAttribute(range_key=True)


class SuggestionsDue(GlobalSecondaryIndex):
    """Sparse: only pending suggestions carry `pending`; the range is when they fall due."""

    Meta = index_meta("suggested_due", KeysOnlyProjection())

    pending = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


class ArticleModel(Model):
    Meta = table_meta("articles")
    Meta.ttl_attribute = "expires_ttl"

    id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(null=True)

    # article
    title = UnicodeAttribute(null=True)
    body = UnicodeAttribute(null=True)  # Markdown as the agent wrote it
    html = UnicodeAttribute(null=True)  # rendered and sanitized on save
    category = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    visibility = UnicodeAttribute(null=True)
    organization_ids = UnicodeSetAttribute(null=True)
    author = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)
    created_at = UTCDateTime(null=True)
    updated_at = UTCDateTime(null=True)
    updated_key = UnicodeAttribute(null=True)  # ISO time with microseconds + id
    version = NumberAttribute(null=True)
    views = NumberAttribute(null=True)
    helpful_yes = NumberAttribute(null=True)
    helpful_no = NumberAttribute(null=True)
    deflections = NumberAttribute(null=True)

    # search index meta and chunks
    index_version = NumberAttribute(null=True)
    index_stamp = UnicodeAttribute(null=True)  # random per write: a version number alone could repeat
    chunks = NumberAttribute(null=True)
    blob = BinaryAttribute(null=True, legacy_encoding=False)

    # vote / suggested
    article_id = UnicodeAttribute(null=True)
    client_id = UnicodeAttribute(null=True)
    opened_at = UnicodeAttribute(null=True)
    pending = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    expires_ttl = NumberAttribute(null=True)

    by_kind_updated = ArticlesByKind()
    suggested_due = SuggestionsDue()
