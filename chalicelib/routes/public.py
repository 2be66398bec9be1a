"""Public routes that are not part of a capability: the portal page and /openapi.json."""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from chalice import Response

from chalicelib.errors import NotFound
from chalicelib.routes.api import Call, RouteGroup

routes = RouteGroup(__name__, auth="open", tag="public")
blueprint = routes.blueprint

PORTAL_DIR = Path(__file__).resolve().parent.parent / "portal"
PORTAL_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
              "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
_ASSET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,80}\.(css|js|svg|png|ico|woff2)$")


def _portal_page() -> Response:
    html = (PORTAL_DIR / "index.html").read_text(encoding="utf-8")
    return Response(body=html, status_code=200, headers={
        "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": PORTAL_CSP,
        "Cache-Control": "no-cache"})


@routes.route("/portal", "GET", summary="The client portal web page", response="html")
def portal_page(call: Call) -> Response:
    return _portal_page()


@routes.route("/portal/assets/{name}", "GET", summary="Portal static files (CSS, JS, icons)", errors=(404,))
def portal_asset(call: Call, name: str) -> Response:
    if not _ASSET_NAME.match(name) or not (PORTAL_DIR / "assets" / name).is_file():
        raise NotFound("No such file.")
    path = PORTAL_DIR / "assets" / name
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or name.endswith((".js", ".svg")):
        body: str | bytes = path.read_text(encoding="utf-8")
        content_type += "; charset=utf-8"
    else:
        body = path.read_bytes()
    return Response(body=body, status_code=200, headers={
        "Content-Type": content_type, "Cache-Control": "public, max-age=300",
        "Content-Security-Policy": PORTAL_CSP})


@routes.route("/openapi.json", "GET", summary="This API's OpenAPI 3.1 document")
def openapi(call: Call) -> dict:
    from chalicelib.openapi import openapi_document

    return openapi_document()
