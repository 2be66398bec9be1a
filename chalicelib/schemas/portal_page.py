"""What the portal page reads before anyone logs in."""

from __future__ import annotations

from pydantic import BaseModel


class PortalConfig(BaseModel):
    portal_enabled: bool
    self_signup: bool
    allow_client_rating: bool
