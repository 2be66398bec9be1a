"""Articles' Markdown rendered to HTML that is safe to put in the portal page."""

from __future__ import annotations

import pytest

from chalicelib.services.kb_text import plain_text, render_html

ATTACKS = [
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=\"https://evil.test\"></iframe>",
    "<svg onload=alert(1)>",
    "![x](javascript:alert(1))",
    "<style>body{display:none}</style>",
    "[x](https://ok.test \"t\" onmouseover=alert(1))",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
]


def elements(html):
    """(tag, {attribute: value}) of every element, as a browser would parse them."""
    from html.parser import HTMLParser

    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collect().feed(html)
    return found


@pytest.mark.parametrize("markdown", ATTACKS)
def test_nothing_that_runs_survives(markdown):
    from chalicelib.services.kb_text import ALLOWED_ATTRIBUTES, ALLOWED_TAGS

    for tag, attributes in elements(render_html(markdown)):
        assert tag in ALLOWED_TAGS, (markdown, tag)
        assert set(attributes) <= ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}, (markdown, attributes)
        for name in ("href", "src"):
            if name in attributes:
                assert attributes[name].lower().startswith(("https:", "http:", "mailto:")), (markdown, attributes)


def test_markdown_renders_to_the_usual_tags():
    html = render_html("# Title\n\nSome **bold** and *em* with `code`.\n\n- one\n- two\n\n[site](https://x.test)")
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html and "<em>em</em>" in html
    assert "<code>code</code>" in html and "<li>one</li>" in html
    assert '<a href="https://x.test" rel="noopener noreferrer nofollow">site</a>' in html


def test_raw_html_is_shown_as_text():
    html = render_html("<b>not bold</b>")
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html


def test_images_keep_only_their_url_and_text():
    html = render_html('![A huge picture](https://x.test/huge.png "big")')
    assert '<img src="https://x.test/huge.png" alt="A huge picture" title="big">' in html


def test_plain_text_is_what_a_reader_sees():
    assert plain_text(render_html("# Hi\n\nA &amp; B <x>")) == "Hi A & B <x>"
