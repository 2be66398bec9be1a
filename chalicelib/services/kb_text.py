"""An article's Markdown, rendered once on save: sanitized HTML for the portal, plain text for
the search index and its excerpts.

Two layers, so one bug is not enough for script to reach a reader: markdown-it-py renders
CommonMark with raw HTML off (a `<script>` in the body comes out as text) and refuses
`javascript:`/`vbscript:`/`data:` links, then nh3 (Ammonia) keeps only the tags, attributes and
URL schemes an article needs. Both are imported on first use (cold start).
"""

from __future__ import annotations

import html
import re

# What an article may contain once rendered: CommonMark's output, nothing else.
ALLOWED_TAGS = frozenset({
    "a", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img", "li", "ol", "p",
    "pre", "strong", "ul", "table", "thead", "tbody", "tr", "th", "td", "del", "s",
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def _renderer():
    from markdown_it import MarkdownIt  # lazy: cold start

    # "commonmark" with html off: raw HTML is escaped, not passed through; tables on.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def render_html(markdown: str) -> str:
    """Sanitized HTML of `markdown`, safe to insert into the portal page."""
    import nh3  # lazy: cold start

    rendered = _renderer().render(markdown)
    return nh3.clean(rendered, tags=set(ALLOWED_TAGS), attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
                     url_schemes=set(URL_SCHEMES), link_rel="noopener noreferrer nofollow", strip_comments=True)


def plain_text(sanitized_html: str) -> str:
    """The words a reader sees, one line: what the index counts and excerpts quote."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", sanitized_html))).strip()
