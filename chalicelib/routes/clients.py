"""Agent API: client accounts (product.md §1-2). Any agent reads; writing needs
`manage-clients` (admins have every permission)."""

from __future__ import annotations

from chalicelib.routes.api import Call, RouteGroup, page, start_key
from chalicelib.services import clients as service
from chalicelib.services import invitations

routes = RouteGroup(__name__, auth="agent", tag="clients")


def _agent_ref(call: Call) -> str:
    return f"agent:{call.agent.username}"


@routes.route("/agent/clients", "GET", summary="List clients (filters: organization, status, email)",
              query="clients.ClientListQuery", response="clients.ClientPage")
def list_clients(call: Call) -> dict:
    query = call.query
    items, last_key = service.list_clients(limit=query.limit, start_key=start_key(call),
                                           organization_id=query.organization_id, status=query.status,
                                           email=query.email, email_prefix=query.q)
    return page(call, items, last_key)


@routes.route("/agent/clients", "POST", status=201, summary="Create a client, optionally sending the invitation",
              permission="manage-clients", body="clients.ClientCreate", response="clients.Client",
              errors=(409,), idempotent=True)
def create_client(call: Call) -> dict:
    body = call.body
    return service.create_client(body.email, name=body.name, phone=body.phone, organization_id=body.organization_id,
                                 role=body.role, send_invitation=body.send_invitation,
                                 invited_by=_agent_ref(call)).as_dict()


@routes.route("/agent/clients/{client_id}", "GET", summary="Get a client", response="clients.Client",
              errors=(404,))
def get_client(call: Call, client_id: str) -> dict:
    return service.get_client(client_id).as_dict()


@routes.route("/agent/clients/{client_id}", "PATCH", summary="Edit, disable or re-enable a client; change "
              "their email (confirmed by a link first)", permission="manage-clients", body="clients.ClientUpdate",
              response="clients.Client", errors=(404, 409))
def update_client(call: Call, client_id: str) -> dict:
    from chalicelib.services import email_change

    changes = call.body.model_dump(exclude_unset=True)
    new_email = changes.pop("email", None)
    client = service.update_client(client_id, changes, changed_by=_agent_ref(call))
    if new_email:
        client = email_change.request_change(client_id, new_email)
    return client.as_dict()


@routes.route("/agent/clients/{client_id}", "DELETE", status=204, summary="Remove the client's portal account",
              permission="manage-clients", errors=(404,))
def delete_client(call: Call, client_id: str) -> None:
    service.delete_client(client_id)


@routes.route("/agent/clients/{client_id}/invite", "POST", summary="Send or resend the invitation now",
              permission="manage-clients", response="clients.Client", errors=(404, 409))
def invite_client(call: Call, client_id: str) -> dict:
    return invitations.send_invitation(client_id, invited_by=_agent_ref(call)).as_dict()
