"""Client accounts: the agents' client routes, portal sign-up/activation/log-in, the portal
profile and client admins' colleagues; the agents' client list and the invitation resend
job against table size."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bench.scenarios import Request, growth, scenario
from bench.stage import Stage

# --- agents ------------------------------------------------------------------------------


@scenario("GET", "/agent/clients")
def list_clients(stage: Stage) -> Request:
    for _ in range(3):
        stage.client(invite=False)
    return Request("GET", "/agent/clients", token=stage.agent)


@scenario("POST", "/agent/clients")
def create_client(stage: Stage) -> Request:
    return Request("POST", "/agent/clients", token=stage.clients_agent, expect=201,
                   json={"email": stage.email(), "name": "New Client", "send_invitation": True},
                   note="with invitation")


@scenario("GET", "/agent/clients/{client_id}")
def get_client(stage: Stage) -> Request:
    return Request("GET", f"/agent/clients/{stage.client()['id']}", token=stage.agent)


@scenario("PATCH", "/agent/clients/{client_id}")
def disable_client(stage: Stage) -> Request:
    client, _ = stage.active_client()
    return Request("PATCH", f"/agent/clients/{client['id']}", token=stage.clients_agent,
                   json={"name": "Renamed", "disabled": True}, note="rename and disable")


@scenario("DELETE", "/agent/clients/{client_id}")
def delete_client(stage: Stage) -> Request:
    client, _ = stage.active_client()
    return Request("DELETE", f"/agent/clients/{client['id']}", token=stage.clients_agent, expect=204)


@scenario("POST", "/agent/clients/{client_id}/invite")
def invite_client(stage: Stage) -> Request:
    return Request("POST", f"/agent/clients/{stage.client(invite=False)['id']}/invite",
                   token=stage.clients_agent)


# --- portal: sign-up, activation, log-in ---------------------------------------------------


@scenario("POST", "/portal/signup")
def signup(stage: Stage) -> Request:
    stage.set_settings(self_signup=True)
    return Request("POST", "/portal/signup", expect=202,
                   json={"email": stage.email("signup"), "name": "Self", "password": stage.CLIENT_PASSWORD})


@scenario("POST", "/portal/signup/verify")
def verify_signup(stage: Stage) -> Request:
    stage.set_settings(self_signup=True)
    email = stage.email("verify")
    stage.expect(stage.api.post("/portal/signup", {"email": email, "name": "Self",
                                                   "password": stage.CLIENT_PASSWORD}), 202, "sign up")
    token = stage.mailed_token("portal-signup-verify", email, "verify_url")
    return Request("POST", "/portal/signup/verify", json={"token": token})


@scenario("GET", "/portal/activation/{token}")
def activation_link(stage: Stage) -> Request:
    email = stage.client()["email"]
    return Request("GET", f"/portal/activation/{stage.portal.activation_token(email)}")


@scenario("POST", "/portal/activate")
def activate(stage: Stage) -> Request:
    email = stage.client()["email"]
    return Request("POST", "/portal/activate", json={"token": stage.portal.activation_token(email),
                                                     "name": "Ada Client", "password": stage.CLIENT_PASSWORD})


@scenario("POST", "/portal/login")
def login(stage: Stage) -> Request:
    client, _ = stage.shared_client
    return Request("POST", "/portal/login", json={"email": client["email"], "password": stage.CLIENT_PASSWORD})


@scenario("POST", "/portal/logout")
def logout(stage: Stage) -> Request:
    _, bearer = stage.active_client()
    return Request("POST", "/portal/logout", token=bearer, expect=204)


@scenario("POST", "/portal/password/forgot")
def forgot_password(stage: Stage) -> Request:
    client, _ = stage.shared_client
    return Request("POST", "/portal/password/forgot", json={"email": client["email"]}, expect=202,
                   note="existing account")


@scenario("POST", "/portal/password/reset")
def reset_password(stage: Stage) -> Request:
    client, _ = stage.active_client()
    stage.expect(stage.api.post("/portal/password/forgot", {"email": client["email"]}), 202, "forgot password")
    token = stage.mailed_token("portal-password-reset", client["email"], "reset_url")
    return Request("POST", "/portal/password/reset", json={"token": token, "password": "Green-Valley-Kettle-77"},
                   expect=204)


# --- portal: my account, my organization's clients -----------------------------------------


@scenario("GET", "/portal/me")
def me(stage: Stage) -> Request:
    _, bearer = stage.shared_client
    return Request("GET", "/portal/me", token=bearer)


@scenario("PATCH", "/portal/me")
def update_me(stage: Stage) -> Request:
    _, bearer = stage.shared_client
    return Request("PATCH", "/portal/me", token=bearer, json={"name": "Ada Lovelace", "phone": "+44 20 7946 0000"})


@scenario("POST", "/portal/me/password")
def change_password(stage: Stage) -> Request:
    _, bearer = stage.active_client()
    return Request("POST", "/portal/me/password", token=bearer, expect=204,
                   json={"current_password": stage.CLIENT_PASSWORD, "new_password": "Green-Valley-Kettle-77"})


@scenario("GET", "/portal/organization/clients")
def colleagues(stage: Stage) -> Request:
    _, bearer, _ = stage.client_admin
    return Request("GET", "/portal/organization/clients", token=bearer)


@scenario("POST", "/portal/organization/clients")
def invite_colleague(stage: Stage) -> Request:
    _, bearer, _ = stage.client_admin
    return Request("POST", "/portal/organization/clients", token=bearer, expect=202,
                   json={"email": stage.email("colleague"), "name": "Colleague"})


@scenario("POST", "/portal/organization/clients/{client_id}/disable")
def disable_colleague(stage: Stage) -> Request:
    _, bearer, org = stage.client_admin
    colleague, _ = stage.active_client(organization_id=org["id"])
    return Request("POST", f"/portal/organization/clients/{colleague['id']}/disable", token=bearer)


@scenario("POST", "/portal/organization/clients/{client_id}/enable")
def enable_colleague(stage: Stage) -> Request:
    _, bearer, org = stage.client_admin
    colleague, _ = stage.active_client(organization_id=org["id"])
    stage.expect(stage.api.post(f"/portal/organization/clients/{colleague['id']}/disable", token=bearer), 200,
                 "disable colleague")
    return Request("POST", f"/portal/organization/clients/{colleague['id']}/enable", token=bearer)


@scenario("POST", "/portal/organization/clients/{client_id}/invite")
def resend_colleague_invitation(stage: Stage) -> Request:
    _, bearer, org = stage.client_admin
    colleague = stage.client(organization_id=org["id"])
    return Request("POST", f"/portal/organization/clients/{colleague['id']}/invite", token=bearer,
                   note="counted against the hourly invitation limit")


@scenario("POST", "/portal/email/verify")
def verify_new_email(stage: Stage) -> Request:
    client, _ = stage.active_client()
    email = stage.email("moved")
    stage.expect(stage.api.patch(f"/agent/clients/{client['id']}", {"email": email}, token=stage.clients_agent),
                 200, "change email")
    return Request("POST", "/portal/email/verify", json={"token": stage.mailed_token(
        "client-email-verify", email, "verify_url")}, note="moves the email guard in one transaction")


# --- against table size ----------------------------------------------------------------------

GROWTH_ORG = "01BENCHGROWTHORGANIZATION0"


def _client_rows(n: int, now: Any, **fields: Any) -> list[Any]:
    from chalicelib.ids import new_id
    from chalicelib.models.users import CLIENT_KIND, UserModel, email_guard_id

    email = f"seeded-{n:06d}@growth.test"
    client = UserModel(new_id(), kind=CLIENT_KIND, email=email, email_lower=email, name=f"Seeded {n}",
                       organization_id=GROWTH_ORG, role="client_user", created_at=now, updated_at=now, **fields)
    return [client, UserModel(email_guard_id(email), owner_id=client.id)]


def seed_clients(start: int, stop: int) -> None:
    """Active clients of one organization (with their email guards); 1 in 100 invited with a
    reminder due in the future (in the sparse index, not yet due)."""
    from bench.seed import put_models
    from chalicelib.ids import iso, utcnow
    from chalicelib.models.users import ACTIVE, INVITED, REMINDER_DUE

    now = utcnow()
    rows = []
    for n in range(start, stop):
        if n % 100 == 99:
            rows += _client_rows(n, now, status=INVITED, invited_at=now, reminders_sent=0,
                                 reminder_queue=REMINDER_DUE, next_reminder_at=iso(now + timedelta(days=1)))
        else:
            rows += _client_rows(n, now, status=ACTIVE, activated_at=now)
    put_models(rows)


@growth("GET /agent/clients", table="users", seed=seed_clients, note="first page, all clients")
def clients_first_page(stage: Stage) -> Request:
    return Request("GET", "/agent/clients", token=stage.agent)


@growth("GET /agent/clients?organization_id=", table="users", seed=seed_clients, note="one organization's clients")
def clients_of_organization(stage: Stage) -> Request:
    return Request("GET", f"/agent/clients?organization_id={GROWTH_ORG}", token=stage.agent)


@growth("GET /agent/clients?status=active", table="users", seed=seed_clients, note="status filter")
def active_clients(stage: Stage) -> Request:
    return Request("GET", "/agent/clients?status=active", token=stage.agent)


DUE_PER_RUN = 5


@growth("job resend-invitations", table="users", seed=seed_clients, requires="jobs:resend_invitations",
        note=f"{DUE_PER_RUN} reminders due at every size; the rest active or not yet due")
def resend_job(stage: Stage) -> Any:
    """Arm DUE_PER_RUN invited clients whose reminder is due now, then run the hourly job."""
    from bench.seed import put_models
    from chalicelib import jobs
    from chalicelib.ids import iso, utcnow
    from chalicelib.models.users import INVITED, REMINDER_DUE

    now = utcnow()
    due = []
    for _ in range(DUE_PER_RUN):
        n = 900_000 + stage.serial()
        due += _client_rows(n, now, status=INVITED, invited_at=now - timedelta(days=2), reminders_sent=0,
                            reminder_queue=REMINDER_DUE, next_reminder_at=iso(now - timedelta(hours=1)))
    put_models(due)
    return jobs.resend_invitations
