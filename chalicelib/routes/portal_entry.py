"""How the portal page enters: whether the browser has a session (asked on every first load,
so being logged out is an answer, not a 401 in the console), and an agent's read-only client
view exchanged for a cookie of its own, so that a reload keeps it until it expires."""

from __future__ import annotations

from chalice import Response

from chalicelib.ids import iso, utcnow
from chalicelib.routes.api import Call, RouteGroup
from chalicelib.routes.portal_session import (
    CLIENT_VIEW_COOKIE,
    cookie_token,
    require_csrf_header,
    session_cookie,
    session_token,
)

routes = RouteGroup(__name__, auth="public", tag="portal-account")


@routes.route("/portal/session", "GET", summary="Whether this browser has a live portal session, and its client",
              response="portal_page.SessionState")
def session_state(call: Call) -> Response:
    from chalicelib.services import sessions

    token, _ = session_token(call)
    found = sessions.current_session(token) if token else None
    body: dict = {"authenticated": False, "user": None}
    if found:
        acting, client = found
        body = {"authenticated": True, "user": {
            **client.as_portal_dict(), "read_only": acting.read_only, "impersonated_by": acting.impersonated_by,
            "session_expires_at": iso(acting.expires_at)}}
    return Response(body=body, status_code=200, headers={"Content-Type": "application/json",
                                                          "Cache-Control": "no-store"})


@routes.route("/portal/impersonate", "POST", summary="Keep an agent's read-only client view as an HttpOnly cookie",
              body="portal_page.ClientViewStart", response="portal_page.ClientView", errors=(401, 403))
def start_client_view(call: Call) -> Response:
    """The page posts the token from the view link's #fragment (never sent to a server by the
    browser) and gets it back as a cookie, which outlives a reload and wins over a client's own
    session cookie in the same browser until the view ends."""
    from chalicelib.services import sessions

    require_csrf_header(call)
    acting = sessions.client_view(call.body.token)
    max_age = max(0, int((acting.expires_at - utcnow()).total_seconds()))
    return Response(
        body={"client_id": acting.id, "expires_at": iso(acting.expires_at)}, status_code=200,
        headers={"Content-Type": "application/json", "Cache-Control": "no-store",
                 "Set-Cookie": session_cookie(call, call.body.token, max_age, CLIENT_VIEW_COOKIE)})


@routes.route("/portal/impersonate", "DELETE", status=204, summary="Stop viewing as the client (ends the view)",
              errors=(403,))
def stop_client_view(call: Call) -> Response:
    """Ends the view and clears its cookie only: a client session of this browser lives on."""
    from chalicelib.services import sessions

    require_csrf_header(call)
    sessions.logout(cookie_token(call, CLIENT_VIEW_COOKIE))
    return Response(body="", status_code=204, headers={"Set-Cookie": session_cookie(call, "", 0, CLIENT_VIEW_COOKIE)})
