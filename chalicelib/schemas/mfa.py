"""Two-factor sign-in (product.md §11): the challenge a login may answer, passing it, and a
client's own methods."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from chalicelib.schemas.clients import Password, PortalUser
from chalicelib.schemas.common import Schema, Strict

Code = Annotated[str, StringConstraints(min_length=1, max_length=32)]


class LoginAnswer(Schema):
    """A session (`user`, `token`, `expires_at`, and the cookie), or, when a second factor is
    due, `mfa_required` with a challenge to pass at /portal/login/mfa (no session yet)."""
    user: PortalUser | None = None
    token: str | None = None
    expires_at: str | None = None
    mfa_required: bool | None = None
    challenge: str | None = Field(None, description="Pass it to /portal/login/mfa with the code; 10 minutes.")
    methods: list[str] | None = Field(None, description="Codes the challenge takes: email, or totp and recovery.")


class PassChallenge(Strict):
    challenge: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    code: Code = Field(description="6 digits (email or authenticator app), or a recovery code.")
    remember_device: bool = Field(False, description="Skip the second factor on this browser for 30 days.")


class ConfirmTotp(Strict):
    code: Code


class DisableMfa(Strict):
    password: Password


class TotpEnrolment(Schema):
    secret: str = Field(description="Base32, for typing into the app by hand.")
    otpauth_uri: str
    qr_svg: str = Field(description="The URI as an SVG QR code, to show inline.")


class RecoveryCodes(Schema):
    recovery_codes: list[str] = Field(description="10 single-use codes, shown this once.")


class MfaStatus(Schema):
    policy: str = Field(description="The portal's setting: off, optional or required.")
    required: bool = Field(description="Whether this account must use a second factor.")
    methods: list[str]
    totp_pending: bool = Field(description="An authenticator app enrolment awaits its first code.")
    recovery_codes_left: int
