"""Request and answer bodies of client accounts: the agents' API and the portal's."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.schemas.common import Email, Identifier, PageQuery, Schema, Strict, one_line

Name = one_line(200)
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^[0-9+()./ -]*$")]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Token = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Role = Literal["client_user", "client_admin"]
Status = Literal["inactive", "invited", "active", "disabled"]
EmailStatus = Literal["ok", "bouncing", "complained"]  # services/mail_feedback.py


# --- agents ---------------------------------------------------------------------------

class ClientCreate(Strict):
    email: Email
    name: Name | None = None
    phone: Phone | None = None
    organization_id: Identifier | None = None
    role: Role = "client_user"
    send_invitation: bool = False


class ClientUpdate(Strict):
    email: Email | None = Field(None, description="A new address: it gets a confirmation link and the old one is "
                                                 "told; nothing changes until the link is followed.")
    name: Name | None = None
    phone: Phone | None = None
    organization_id: Identifier | None = Field(None, description="null unlinks the organization.")
    role: Role | None = None
    disabled: bool | None = Field(None, description="true deactivates (ends every session); false re-enables.")
    email_status: Literal["ok"] | None = Field(
        None, description='"ok" clears a bounce or complaint stop: mail to the address goes out again.')


class ClientListQuery(PageQuery):
    organization_id: Identifier | None = None
    status: Status | None = None
    email: one_line(254, min_length=0) | None = Field(None, description="Exact email, any case.")
    q: one_line(254, min_length=0) | None = Field(None, description=(
        "The prefix of any word of the name, or of the email; case- and accent-insensitive (one letter: an "
        "email prefix). Combines with organization_id and status, not with email."))


class Reminders(Schema):
    sent: int
    last_sent_at: str | None
    next_at: str | None


class PortalUser(Schema):
    """A client as the portal shows them (to themselves and to their client admins)."""
    id: str
    email: str
    name: str | None
    phone: str | None
    organization_id: str | None
    role: Role
    status: Status
    created_at: str | None
    last_login_at: str | None


class Client(PortalUser):
    """A client as agents see them: the portal view plus the account's history."""
    self_signup: bool
    updated_at: str | None
    invited_at: str | None
    activated_at: str | None
    reminders: Reminders
    email_status: EmailStatus = Field(description="ok, or bouncing / complained: SES reported a hard bounce or a "
                                                  "complaint and no mail goes to the address until cleared.")
    email_status_since: str | None = Field(description="When email_status last changed (null: never).")
    pending_email: str | None = Field(None, description="An email change waiting for its confirmation link.")


class ClientPage(Schema):
    items: list[Client]
    next_cursor: str | None


# --- portal -----------------------------------------------------------------------------

class PortalMe(PortalUser):
    read_only: bool = False
    impersonated_by: str | None = None
    session_expires_at: str | None = None


class SessionAnswer(Schema):
    user: PortalUser
    token: str = Field(description="The session token, also set as the HttpOnly cookie; send it as "
                                   "`Authorization: Bearer <token>` when not using the cookie.")
    expires_at: str


class Login(Strict):
    email: Email
    password: Password


class Signup(Strict):
    email: Email
    name: Name
    password: Password


class Accepted(Schema):
    message: str


class ActivationInfo(Schema):
    email: str
    status: Status
    name: str | None


class Activate(Strict):
    token: Token
    name: Name
    phone: Phone | None = None
    password: Password


class VerifySignup(Strict):
    token: Token


class VerifyEmail(Strict):
    token: Token


class EmailConfirmed(Schema):
    email: str


class ForgotPassword(Strict):
    email: Email


class ResetPassword(Strict):
    token: Token
    password: Password


class ChangePassword(Strict):
    current_password: Password
    new_password: Password


class ProfileUpdate(Strict):
    # Not nullable: a client may rename themselves but not remove the name (null is a 400).
    # Omitted means unchanged; the schema shows no (null) default, which a string cannot have.
    name: Name = Field(None, description="Omit to keep the name; it cannot be removed.",
                       json_schema_extra=lambda schema: schema.pop("default", None))
    phone: Phone | None = None


class ColleagueInvite(Strict):
    email: Email
    name: Name | None = None


class ColleaguePage(Schema):
    items: list[PortalUser]
    next_cursor: str | None
