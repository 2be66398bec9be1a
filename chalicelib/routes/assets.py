"""Agent API: assets (product.md §10). Every agent reads; writing needs `manage-assets`."""

from __future__ import annotations

from chalicelib.routes.api import Call, RouteGroup, page, start_key
from chalicelib.services import assets as service
from chalicelib.services import ticket_views

routes = RouteGroup(__name__, auth="agent", tag="assets")


@routes.route("/agent/assets", "GET", summary="List assets (filters: organization, client, exact serial)",
              query="assets.AssetListQuery", response="assets.AssetPage")
def list_assets(call: Call) -> dict:
    q = call.query
    items, last_key = service.list_for_agent(organization_id=q.organization_id, client_id=q.client_id,
                                             serial=q.serial, limit=q.limit, start_key=start_key(call))
    return page(call, [service.asset_view(item, call.agent) for item in items], last_key)


@routes.route("/agent/assets", "POST", status=201, summary="Create an asset", permission="manage-assets",
              body="assets.AssetCreate", response="assets.Asset", errors=(409,), idempotent=True)
def create_asset(call: Call) -> dict:
    return service.asset_view(service.create_asset(call.body.model_dump()), call.agent)


@routes.route("/agent/assets/{asset_id}", "GET", summary="An asset", response="assets.Asset", errors=(404,))
def get_asset(call: Call, asset_id: str) -> dict:
    return service.asset_view(service.load_visible(asset_id, call.agent), call.agent)


@routes.route("/agent/assets/{asset_id}", "PATCH", summary="Edit, assign (client_id), unassign (client_id null) "
              "or retire (status) an asset", permission="manage-assets", body="assets.AssetUpdate",
              response="assets.Asset", errors=(404, 409))
def update_asset(call: Call, asset_id: str) -> dict:
    item = service.update_asset(asset_id, call.body.model_dump(exclude_unset=True))
    return service.asset_view(item, call.agent)


@routes.route("/agent/assets/{asset_id}/tickets", "GET", summary="An asset's tickets, newest first",
              query="common.PageQuery", response="tickets.AgentTicketPage", errors=(404,))
def asset_tickets(call: Call, asset_id: str) -> dict:
    item = service.load_visible(asset_id, call.agent)
    tickets, last_key = service.tickets_of(item, call.agent, limit=call.query.limit, start_key=start_key(call))
    return page(call, [ticket_views.view(ticket, call.agent) for ticket in tickets], last_key)
