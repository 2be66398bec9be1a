"""What the portal page reads before anyone logs in."""

from __future__ import annotations

from pydantic import Field

from chalicelib.schemas.clients import PortalMe
from chalicelib.schemas.common import Schema, Strict


class PortalConfig(Schema):
    portal_enabled: bool
    self_signup: bool
    allow_client_rating: bool
    ticket_categories: list[str]  # empty: a ticket's category is free text
    portal_name: str | None = Field(None, description="Branding: the portal's name (absent: the default).")
    logo_url: str | None = Field(None, description="Branding: an https logo URL (absent: none).")
    accent_color: str | None = Field(None, description="Branding: #rrggbb (absent: the default).")


class SessionState(Schema):
    authenticated: bool
    user: PortalMe | None = None


class ClientViewStart(Strict):
    token: str = Field(min_length=1, max_length=200, description=(
        "The token from the client-view link's #fragment (POST /agent/clients/{id}/impersonate)."))


class ClientView(Schema):
    client_id: str
    expires_at: str
