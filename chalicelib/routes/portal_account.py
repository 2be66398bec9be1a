"""Portal routes of a logged-in client: the profile, the password, and a client admin's
organization clients (colleagues)."""

from __future__ import annotations

from chalicelib.ids import iso
from chalicelib.routes.api import Call, RouteGroup, page, start_key
from chalicelib.routes.portal_session import origin
from chalicelib.services import accounts, clients, colleagues

routes = RouteGroup(__name__, auth="portal", tag="portal-account")


def _me(call: Call, client: clients.Client) -> dict:
    principal = call.client
    return {**client.as_portal_dict(), "read_only": principal.read_only,
            "impersonated_by": principal.impersonated_by, "session_expires_at": iso(principal.expires_at)}


@routes.route("/portal/me", "GET", summary="My profile", response="clients.PortalMe")
def get_me(call: Call) -> dict:
    return _me(call, clients.get_client(call.client.id))


@routes.route("/portal/me", "PATCH", summary="Edit my name and phone", body="clients.ProfileUpdate",
              response="clients.PortalMe")
def update_me(call: Call) -> dict:
    return _me(call, accounts.update_profile(call.client, call.body.model_dump(exclude_unset=True)))


@routes.route("/portal/me/password", "POST", status=204, summary="Change my password (ends my other sessions)",
              body="clients.ChangePassword", errors=(429,))
def change_password(call: Call) -> None:
    accounts.change_password(call.client, call.body.current_password, call.body.new_password, origin(call))


@routes.route("/portal/organization/clients", "GET", summary="My organization's clients (client admins)",
              query="common.PageQuery", response="clients.ColleaguePage", errors=(403,))
def list_colleagues(call: Call) -> dict:
    items, last_key = colleagues.list_colleagues(call.client, limit=call.query.limit,
                                                 start_key=start_key(call))
    return page(call, [item.as_portal_dict() for item in items], last_key)


# The same answer for every valid address: it must not tell whether the address has an account,
# here or in another organization (services/colleagues.py).
INVITATION_ACCEPTED = {"message": "Invitation sent. It shows as pending in your colleagues list."}


@routes.route("/portal/organization/clients", "POST", status=202,
              summary="Invite a colleague as a client user (client admins); the same 202 for every address",
              body="clients.ColleagueInvite", response="clients.Accepted", errors=(403, 429), idempotent=True)
def invite_colleague(call: Call) -> dict:
    colleagues.invite_colleague(call.client, call.body.email, call.body.name)
    return INVITATION_ACCEPTED


@routes.route("/portal/organization/clients/{client_id}/disable", "POST",
              summary="Deactivate a colleague (client admins)", response="clients.PortalUser",
              errors=(403, 404, 409))
def disable_colleague(call: Call, client_id: str) -> dict:
    return colleagues.disable_colleague(call.client, client_id).as_portal_dict()


@routes.route("/portal/organization/clients/{client_id}/enable", "POST",
              summary="Re-enable a deactivated colleague (client admins)", response="clients.PortalUser",
              errors=(403, 404, 409))
def enable_colleague(call: Call, client_id: str) -> dict:
    return colleagues.enable_colleague(call.client, client_id).as_portal_dict()


@routes.route("/portal/organization/clients/{client_id}/invite", "POST",
              summary="Resend a colleague's invitation (client admins; counted against the hourly limit)",
              response="clients.PortalUser", errors=(403, 404, 409, 429))
def resend_colleague_invitation(call: Call, client_id: str) -> dict:
    return colleagues.resend_invitation(call.client, client_id).as_portal_dict()
