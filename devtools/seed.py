"""Demo data for the local stack, created through the services (as a user would), so that
`make run` opens on a portal with something in it: an organization, an active client admin
who can log in at once, an invited colleague whose activation link is in the mail, and a
ticket with a reply."""

from __future__ import annotations

DEMO_CLIENT_EMAIL = "client@acme.example"
DEMO_CLIENT_PASSWORD = "Acme-Portal-Demo-2026"


def seed() -> dict[str, str]:
    from chalicelib.identity import ActingAgent
    from chalicelib.services import clients, notes, organizations, ticket_writes

    demo: dict[str, str] = {}
    org = organizations.create_organization("Acme Corporation", domain="acme.example")
    demo["organization"] = f"{org.name} ({org.id})"

    client = clients.create_client(DEMO_CLIENT_EMAIL, name="Casey Client", organization_id=org.id,
                                   role="client_admin", invited_by="seed")
    _activate(client.id, DEMO_CLIENT_PASSWORD)
    demo["client"] = f"{DEMO_CLIENT_EMAIL} / {DEMO_CLIENT_PASSWORD} (client admin, active)"

    clients.create_client("colleague@acme.example", name="Robin Colleague", organization_id=org.id,
                          send_invitation=True, invited_by="seed")
    demo["invited"] = "colleague@acme.example (activation link: make mail)"

    ticket = ticket_writes.create(subject="VPN disconnects every hour", description="Since Monday the VPN drops "
                                  "every hour on the hour. Reconnecting works.", priority="high", category="Network",
                                  requester_id=client.id, created_by="seed")
    notes.add_note(ticket, ActingAgent("seed", None, frozenset(), name="Support team"),
                   "Thanks Casey, we are looking into it. Which VPN client version do you use?")
    demo["ticket"] = f"#{int(ticket.number)} (with an agent reply)"
    return demo


def _activate(client_id: str, password: str) -> None:
    """Demo only: make the client active with a known password, as activation would."""
    from chalicelib.ids import utcnow
    from chalicelib.models.users import ACTIVE, UserModel, status_actions
    from chalicelib.services.client_store import load_item
    from chalicelib.services.passwords import hash_password

    now = utcnow()
    load_item(client_id).update(actions=[
        *status_actions(client_id, ACTIVE), UserModel.password_hash.set(hash_password(password)),
        UserModel.password_changed_at.set(now), UserModel.activated_at.set(now)])
