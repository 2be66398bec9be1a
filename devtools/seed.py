"""Demo data for the local stack, created through the services (as a user would)."""

from __future__ import annotations


def seed() -> dict[str, str]:
    from chalicelib.services import organizations

    demo: dict[str, str] = {}
    org = organizations.create_organization("Acme Corporation", domain="acme.example")
    demo["organization"] = f"{org.name} ({org.id})"
    return demo
