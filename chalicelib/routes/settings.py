"""Agent API: product settings. Every agent reads them; only super users change them."""

from __future__ import annotations

from chalicelib.errors import InvalidInput
from chalicelib.routes.api import Call, RouteGroup
from chalicelib.services import settings as service

routes = RouteGroup(__name__, auth="agent", tag="settings")


@routes.route("/agent/settings", "GET", summary="Read the portal settings", response="settings.Settings")
def get_settings(call: Call) -> dict:
    return service.get_settings(fresh=True).as_dict()


@routes.route("/agent/settings", "PATCH", summary="Change the portal settings (admins)", permission="admins",
              body="settings.SettingsUpdate", response="settings.Settings", errors=(409,))
def update_settings(call: Call) -> dict:
    changes = call.body.model_dump(exclude_unset=True)
    version = changes.pop("version", None)
    nulls = [name for name, value in changes.items() if value is None and name != "agents_email"]
    if nulls:
        raise InvalidInput("These settings cannot be null.", fields={name: "must not be null" for name in nulls})
    return service.update_settings(changes, updated_by=call.agent.username, expected_version=version).as_dict()
