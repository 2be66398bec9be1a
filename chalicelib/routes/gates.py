"""Checks every public and portal route runs before anything else (routes/api.py
PORTAL_GATES): the portal switch and the IP allowlist. The source IP is API Gateway's
`requestContext.identity.sourceIp`, never a header the caller could forge."""

from __future__ import annotations

from chalicelib.routes import api
from chalicelib.routes.api import Call


def portal_access_gate(call: Call) -> None:
    from chalicelib.services.portal_access import check_portal_access

    check_portal_access(call.source_ip)


api.PORTAL_GATES.append(portal_access_gate)
