"""What the portal page reads before anyone logs in."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PortalConfig(BaseModel):
    portal_enabled: bool
    self_signup: bool
    allow_client_rating: bool
    portal_name: str | None = Field(None, description="Branding: the portal's name (absent: the default).")
    logo_url: str | None = Field(None, description="Branding: an https logo URL (absent: none).")
    accent_color: str | None = Field(None, description="Branding: #rrggbb (absent: the default).")
