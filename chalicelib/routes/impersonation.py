"""Agent API: "log in as client" (product.md §5), for agents with *manage clients*."""

from __future__ import annotations

from chalicelib.config import get_config
from chalicelib.ids import iso
from chalicelib.routes.api import Call, RouteGroup
from chalicelib.routes.portal_session import origin

routes = RouteGroup(__name__, auth="agent", tag="clients")


@routes.route("/agent/clients/{client_id}/impersonate", "POST", status=201,
              summary="Open a 15-minute read-only portal session as an active client (logged)",
              permission="manage-clients", response="portal_log.Impersonation", errors=(404, 409))
def impersonate(call: Call, client_id: str) -> dict:
    from chalicelib.services import sessions

    agent = call.agent.email or call.agent.username
    client, session = sessions.impersonate(client_id, agent=agent, origin=origin(call))
    return {"client_id": client.id, "token": session.token, "expires_at": iso(session.expires_at),
            # The portal page reads the token from the fragment, which browsers never send to a server.
            "portal_url": f"{get_config().portal_url}/impersonate#token={session.token}"}
