"""Agent API: organizations (the helpdesk's customers)."""

from __future__ import annotations

from chalicelib.routes.api import Call, RouteGroup, page, start_key
from chalicelib.services import organizations as service

routes = RouteGroup(__name__, auth="agent", tag="organizations")


@routes.route("/agent/organizations", "GET", summary="List organizations by name",
              query="organizations.OrganizationListQuery", response="organizations.OrganizationPage")
def list_organizations(call: Call) -> dict:
    items, last_key = service.list_organizations(limit=call.query.limit, start_key=start_key(call),
                                                 name_prefix=call.query.q)
    return page(call, items, last_key)


@routes.route("/agent/organizations", "POST", status=201, summary="Create an organization",
              permission="manage-clients", body="organizations.OrganizationCreate",
              response="organizations.Organization", errors=(409,), idempotent=True)
def create_organization(call: Call) -> dict:
    body = call.body
    return service.create_organization(body.name, domain=body.domain, notes=body.notes,
                                       portal_enabled=body.portal_enabled, join_by_domain=body.join_by_domain,
                                       require_2fa=body.require_2fa).as_dict()


@routes.route("/agent/organizations/{organization_id}", "GET", summary="Get an organization",
              response="organizations.Organization", errors=(404,))
def get_organization(call: Call, organization_id: str) -> dict:
    return service.get_organization(organization_id).as_dict()


@routes.route("/agent/organizations/{organization_id}", "PATCH", summary="Edit an organization",
              permission="manage-clients", body="organizations.OrganizationUpdate",
              response="organizations.Organization", errors=(404, 409))
def update_organization(call: Call, organization_id: str) -> dict:
    changes = call.body.model_dump(exclude_unset=True)
    if changes.get("name") is None:
        changes.pop("name", None)
    return service.update_organization(organization_id, changes).as_dict()
