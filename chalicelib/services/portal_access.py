"""The portal switch and IP restriction (product.md §5): a client outside the allowed
ranges, or any client while the portal is off, is refused on every public and portal
route with 403 `portal_blocked`. Agents are not affected (their routes have no gate)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from chalicelib.errors import PorticoError
from chalicelib.services.settings import get_settings

BLOCKED_MESSAGE = "Client self-service portal temporarily blocked"


class PortalBlocked(PorticoError):
    code, status, default_message = "portal_blocked", 403, BLOCKED_MESSAGE


@lru_cache(maxsize=32)
def _networks(ranges: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(value, strict=False) for value in ranges)


def ip_allowed(source_ip: str, ranges: tuple[str, ...]) -> bool:
    """True when `source_ip` (IPv4 or IPv6) is inside one of `ranges`. An unknown or
    malformed address is outside: fail closed."""
    try:
        address = ipaddress.ip_address(source_ip.strip())
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address.version == net.version and address in net for net in _networks(ranges))


def check_portal_access(source_ip: str) -> None:
    current = get_settings()  # cached per container (PORTICO_SETTINGS_CACHE_SECONDS)
    if not current.portal_enabled:
        raise PortalBlocked()
    if not current.allow_all_ips and not ip_allowed(source_ip, tuple(current.ip_allowlist)):
        raise PortalBlocked()
