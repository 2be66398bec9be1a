"""Public routes that are not part of a capability: the portal page, its config, /openapi.json.

The portal is one HTML page (chalicelib/portal/index.html) with a small client-side router;
every page path below serves that same file so a reload or a link from an email works.
A few page paths (`/portal/tickets`, `/portal/assets` and one of each) are also JSON API routes
(owned by the tickets and assets capabilities); for those, `page_for_browser_navigation` answers the page
only when a browser navigates there (Accept: text/html), and the API otherwise.
"""

from __future__ import annotations

import functools
import mimetypes
import re
from collections.abc import Callable
from pathlib import Path

from chalice import Response

from chalicelib.errors import NotFound
from chalicelib.routes.api import Call, RouteGroup, portal_prefix
from chalicelib.services.attachments import bucket_origin

routes = RouteGroup(__name__, auth="open", tag="public")

PORTAL_DIR = Path(__file__).resolve().parent.parent / "portal"


def portal_csp(logo_url: str | None = None) -> str:
    """The page's policy: its own files, plus the attachments bucket's origin and nothing
    wider, for uploads (the presigned POST: connect-src) and thumbnails (img-src); with a
    branding logo, its origin (only) is added to img-src too. The logo URL was validated as
    https with a plain host when it was set (schemas/settings.py)."""
    files = bucket_origin()
    logo = re.match(r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?", logo_url or "")
    images = f"'self' data: {logo.group(0) + ' ' if logo else ''}{files}"
    return (f"default-src 'none'; script-src 'self'; style-src 'self'; img-src {images}; "
            f"connect-src 'self' {files}; font-src 'self'; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'")


_ASSET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,80}\.(css|js|svg|png|ico|woff2)$")


# Client-side routes whose GET serves the page (their POST, if any, is an API route elsewhere).
PAGE_PATHS = ("/portal", "/portal/activate", "/portal/verify", "/portal/reset", "/portal/signup",
              "/portal/forgot", "/portal/tickets/new", "/portal/profile", "/portal/colleagues",
              "/portal/impersonate", "/portal/verify-email", "/portal/help")
# Page paths that are also GET API routes: the page is served only to a browser navigation.
SHARED_PAGE_ROUTES = frozenset({"/portal/tickets", "/portal/tickets/{number}", "/portal/assets",
                                "/portal/assets/{asset_id}"})


def _portal_page(request: object) -> Response:
    from chalicelib.services.settings import get_settings

    html = (PORTAL_DIR / "index.html").read_text(encoding="utf-8").replace("%BASE%", portal_prefix(request))
    return Response(body=html, status_code=200, headers={
        "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": portal_csp(get_settings().logo_url),
        "Cache-Control": "no-cache", "Vary": "Accept"})


def _serve_page(call: Call) -> Response:
    return _portal_page(call.request)


for _path in PAGE_PATHS:
    routes.route(_path, "GET", summary="The client portal web page", response="html")(_serve_page)


def _wants_html(request: object) -> bool:
    accept = ((getattr(request, "headers", None) or {}).get("accept") or "").lower()
    return accept.startswith("text/html")


def page_for_browser_navigation(event: object, get_response: Callable[[object], Response]) -> Response:
    """A browser opening /portal/tickets (a bookmark, a reload, a link in a ticket email) gets
    the page; fetch() from the page asks for JSON and reaches the API route."""
    route = ((getattr(event, "context", None) or {}).get("resourcePath") or "")
    if route in SHARED_PAGE_ROUTES and getattr(event, "method", "") == "GET" and _wants_html(event):
        return _portal_page(event)
    response = get_response(event)
    if route in SHARED_PAGE_ROUTES:
        response.headers.setdefault("Vary", "Accept")
    return response



@routes.route("/portal/config", "GET", summary="What the portal page needs to know before log-in",
              auth="public", response="portal_page.PortalConfig", errors=(403,))
def portal_config(call: Call) -> dict:
    """Public switches and the branding only. Behind the portal gates, so a blocked client learns it on first load."""
    from chalicelib.services.settings import get_settings

    current = get_settings()
    branding = {"portal_name": current.portal_name, "logo_url": current.logo_url,
                "accent_color": current.accent_color}
    # Branding keys only when set: an unbranded portal's page loads nothing more.
    return {"portal_enabled": current.portal_enabled, "self_signup": current.self_signup,
            "allow_client_rating": current.allow_client_rating, "ticket_categories": list(current.ticket_categories),
            **{k: v for k, v in branding.items() if v}}


_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_INDENT = re.compile(r"^[ \t]+", re.M)


def compact(source: str) -> str:
    """The page's own CSS or JS without comments and indentation: a sixth less to transfer on
    the first load, with no build step. Newlines stay, so line numbers in errors still match
    the source. Safe because neither file has "/*" inside a string (tests/api/test_portal_page.py)."""
    return _INDENT.sub("", _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), source))


@functools.lru_cache(maxsize=8)
def _compacted(path: Path, mtime_ns: int) -> str:  # mtime: `make run` serves edits without a restart
    return compact(path.read_text(encoding="utf-8"))


# The page's own files (chalicelib/portal/static/), served under /portal/static/:
# /portal/assets is the assets API.
STATIC_DIR = PORTAL_DIR / "static"


@routes.route("/portal/static/{name}", "GET", summary="Portal static files (CSS, JS, icons)", errors=(404,))
def portal_static(call: Call, name: str) -> Response:
    if not _ASSET_NAME.match(name) or not (STATIC_DIR / name).is_file():
        raise NotFound("No such file.")
    path = STATIC_DIR / name
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if name.endswith((".js", ".css")):
        body: str | bytes = _compacted(path, path.stat().st_mtime_ns)
        content_type += "; charset=utf-8"
    elif content_type.startswith("text/") or name.endswith(".svg"):
        body = path.read_text(encoding="utf-8")
        content_type += "; charset=utf-8"
    else:
        body = path.read_bytes()
    return Response(body=body, status_code=200, headers={
        "Content-Type": content_type, "Cache-Control": "public, max-age=300",
        "Content-Security-Policy": portal_csp()})


@routes.route("/openapi.json", "GET", summary="This API's OpenAPI 3.1 document")
def openapi(call: Call) -> dict:
    from chalicelib.openapi import openapi_document

    return openapi_document()
