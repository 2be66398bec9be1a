"""Portal routes: the assets a client may see (product.md §10): their own, or a client admin's
organization's; never the agents' internal notes."""

from __future__ import annotations

from chalicelib.routes.api import Call, RouteGroup, page, start_key
from chalicelib.services import assets as service
from chalicelib.services import ticket_views

routes = RouteGroup(__name__, auth="portal", tag="portal-assets")


@routes.route("/portal/assets", "GET", summary="My assets (client admins: the organization's)",
              query="common.PageQuery", response="assets.PortalAssetPage")
def list_assets(call: Call) -> dict:
    items, last_key = service.list_for_client(call.client, limit=call.query.limit, start_key=start_key(call))
    return page(call, [service.asset_view(item, call.client) for item in items], last_key)


@routes.route("/portal/assets/{asset_id}", "GET", summary="One of my assets", response="assets.PortalAsset",
              errors=(404,))
def get_asset(call: Call, asset_id: str) -> dict:
    return service.asset_view(service.load_visible(asset_id, call.client), call.client)


@routes.route("/portal/assets/{asset_id}/tickets", "GET", summary="The asset's tickets I may see, newest first",
              query="common.PageQuery", response="tickets.TicketPage", errors=(404,))
def asset_tickets(call: Call, asset_id: str) -> dict:
    item = service.load_visible(asset_id, call.client)
    tickets, last_key = service.tickets_of(item, call.client, limit=call.query.limit, start_key=start_key(call))
    return page(call, [ticket_views.view(ticket, call.client) for ticket in tickets], last_key)
