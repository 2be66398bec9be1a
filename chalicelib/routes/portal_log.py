"""Agent API: the client portal log (product.md §5), for agents with *view reports*."""

from __future__ import annotations

from chalicelib.routes.api import Call, RouteGroup, page, start_key

routes = RouteGroup(__name__, auth="agent", tag="portal-log")


@routes.route("/agent/portal-log", "GET", summary="Portal log: logins, activations, resets, impersonations",
              permission="view-reports", query="portal_log.PortalLogQuery", response="portal_log.PortalLogPage")
def portal_log(call: Call) -> dict:
    from chalicelib.services import portal_log as service

    query = call.query
    items, last_key = service.list_events(client_id=query.client_id, since=query.since, until=query.until,
                                          limit=query.limit, start_key=start_key(call))
    return page(call, items, last_key)
