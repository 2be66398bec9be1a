"""Agent API: the client portal log (product.md §5), for agents with *view reports*."""

from __future__ import annotations

from chalicelib.ids import iso
from chalicelib.routes.api import Call, RouteGroup, page, start_key

routes = RouteGroup(__name__, auth="agent", tag="portal-log")
blueprint = routes.blueprint


@routes.route("/agent/portal-log", "GET", summary="Portal log: logins, activations, resets, impersonations",
              permission="view-reports", query="portal_log.PortalLogQuery", response="portal_log.PortalLogPage")
def portal_log(call: Call) -> dict:
    from chalicelib.services import portal_log as service

    query = call.query
    # The cursor is bound to the filters it was issued for.
    scope = f"portal-log:{query.client_id or ''}:{iso(query.since) or ''}:{iso(query.until) or ''}"
    items, last_key = service.list_events(client_id=query.client_id, since=query.since, until=query.until,
                                          limit=query.limit, start_key=start_key(scope, query))
    return page(scope, items, last_key)
