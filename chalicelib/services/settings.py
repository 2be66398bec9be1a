"""Product settings agents edit at run time (portal switch, sign-up, IPs, rating, ...).

Read on almost every portal request, so they are cached per Lambda container for
`PORTICO_SETTINGS_CACHE_SECONDS` (default 10 s): a change applies everywhere within that
time, and at once in the container that made it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib.config import get_config
from chalicelib.errors import Conflict
from chalicelib.ids import iso, utcnow
from chalicelib.models.settings import GLOBAL_SETTINGS_ID, SettingsModel

# What clients and agents may attach by default (product.md §7): images, PDF, text and logs
# (text/plain), CSV, office documents, zip. services/attachments.py refuses anything a browser
# would run whatever this list says.
DEFAULT_UPLOAD_TYPES = (
    "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain", "text/csv",
    "application/zip", "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
)


@dataclass(frozen=True)
class PortalSettings:
    portal_enabled: bool = True
    self_signup: bool = False
    allow_all_ips: bool = True
    ip_allowlist: tuple[str, ...] = ()
    allow_client_rating: bool = False
    activation_ttl_hours: int = 168
    invitation_reminder_days: tuple[int, ...] = (1, 3, 7)
    agents_email: str | None = None
    # How many colleagues one client admin may invite an hour (their organization: 50 an hour in all).
    client_admin_invites_per_hour: int = 20
    upload_max_mb: int = 10
    upload_max_files: int = 10
    upload_types: tuple[str, ...] = DEFAULT_UPLOAD_TYPES
    client_2fa: str = "off"  # off | optional | required (product.md §11)
    # Email in (product.md §8): what mail from an unknown sender to the support address does,
    # and how many messages one sender may turn into tickets or notes an hour.
    email_unknown_senders: str = "reject"  # reject | create_client
    email_in_per_sender_hour: int = 20
    # The categories a ticket may have; empty: any category (free text).
    ticket_categories: tuple[str, ...] = ()
    portal_name: str | None = None
    logo_url: str | None = None
    accent_color: str | None = None
    updated_at: str | None = None
    updated_by: str | None = None
    version: int = field(default=0)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ip_allowlist"] = list(self.ip_allowlist)
        data["invitation_reminder_days"] = list(self.invitation_reminder_days)
        data["upload_types"] = list(self.upload_types)
        data["ticket_categories"] = list(self.ticket_categories)
        data["agents_email"] = self.agents_email or get_config().agents_email
        return data

    @property
    def effective_agents_email(self) -> str:
        return self.agents_email or get_config().agents_email


EDITABLE = (
    "portal_enabled", "self_signup", "allow_all_ips", "ip_allowlist", "allow_client_rating",
    "activation_ttl_hours", "invitation_reminder_days", "agents_email", "client_admin_invites_per_hour",
    "upload_max_mb", "upload_max_files", "upload_types", "client_2fa", "ticket_categories",
    "portal_name", "logo_url", "accent_color", "email_unknown_senders", "email_in_per_sender_hour",
)

_cache: tuple[float, PortalSettings] | None = None


def _from_item(item: SettingsModel) -> PortalSettings:
    return PortalSettings(
        portal_enabled=bool(item.portal_enabled),
        self_signup=bool(item.self_signup),
        allow_all_ips=bool(item.allow_all_ips),
        ip_allowlist=tuple(item.ip_allowlist or ()),
        allow_client_rating=bool(item.allow_client_rating),
        activation_ttl_hours=int(item.activation_ttl_hours),
        invitation_reminder_days=tuple(int(d) for d in item.invitation_reminder_days or ()),
        agents_email=item.agents_email,
        client_admin_invites_per_hour=int(item.client_admin_invites_per_hour
                                          or PortalSettings.client_admin_invites_per_hour),
        # Settings saved before uploads existed carry none of these: the defaults apply.
        upload_max_mb=int(item.upload_max_mb) if item.upload_max_mb is not None else PortalSettings.upload_max_mb,
        upload_max_files=(int(item.upload_max_files) if item.upload_max_files is not None
                          else PortalSettings.upload_max_files),
        upload_types=tuple(item.upload_types) if item.upload_types is not None else DEFAULT_UPLOAD_TYPES,
        client_2fa=item.client_2fa or "off",
        email_unknown_senders=item.email_unknown_senders or PortalSettings.email_unknown_senders,
        email_in_per_sender_hour=int(item.email_in_per_sender_hour or PortalSettings.email_in_per_sender_hour),
        ticket_categories=tuple(item.ticket_categories or ()),
        portal_name=item.portal_name,
        logo_url=item.logo_url,
        accent_color=item.accent_color,
        updated_at=iso(item.updated_at),
        updated_by=item.updated_by,
        version=int(item.version or 0),
    )


def get_settings(*, fresh: bool = False) -> PortalSettings:
    """The settings, from this container's cache when it is recent enough."""
    global _cache
    now = time.monotonic()
    ttl = get_config().settings_cache_seconds
    if not fresh and _cache is not None and now - _cache[0] < ttl:
        return _cache[1]
    try:
        settings = _from_item(SettingsModel.get(GLOBAL_SETTINGS_ID, consistent_read=True))
    except DoesNotExist:
        settings = PortalSettings()
    _cache = (now, settings)
    return settings


def clear_cache() -> None:
    global _cache
    _cache = None


def update_settings(changes: dict[str, Any], *, updated_by: str, expected_version: int | None = None) -> PortalSettings:
    """Apply validated changes. `expected_version`, when given, must match (409 otherwise);
    two concurrent updates never silently overwrite each other."""
    current = get_settings(fresh=True)
    if expected_version is not None and expected_version != current.version:
        raise Conflict("The settings were changed by someone else; reload and try again.")
    merged = {name: getattr(current, name) for name in EDITABLE}
    merged.update({k: v for k, v in changes.items() if k in EDITABLE})
    item = SettingsModel(
        GLOBAL_SETTINGS_ID,
        portal_enabled=merged["portal_enabled"],
        self_signup=merged["self_signup"],
        allow_all_ips=merged["allow_all_ips"],
        ip_allowlist=list(merged["ip_allowlist"]),
        allow_client_rating=merged["allow_client_rating"],
        activation_ttl_hours=int(merged["activation_ttl_hours"]),
        invitation_reminder_days=[int(d) for d in merged["invitation_reminder_days"]],
        agents_email=merged["agents_email"] or None,
        client_admin_invites_per_hour=int(merged["client_admin_invites_per_hour"]),
        upload_max_mb=int(merged["upload_max_mb"]),
        upload_max_files=int(merged["upload_max_files"]),
        upload_types=list(merged["upload_types"]),
        client_2fa=merged["client_2fa"],
        email_unknown_senders=merged["email_unknown_senders"],
        email_in_per_sender_hour=int(merged["email_in_per_sender_hour"]),
        ticket_categories=list(merged["ticket_categories"]) or None,
        portal_name=merged["portal_name"] or None,
        logo_url=merged["logo_url"] or None,
        accent_color=merged["accent_color"] or None,
        updated_at=utcnow(),
        updated_by=updated_by,
    )
    # VersionAttribute makes save() conditional on the version we read.
    if current.version:
        item.version = current.version
    try:
        item.save()
    except (PutError, UpdateError) as exc:
        if "ConditionalCheckFailed" in str(exc):
            raise Conflict("The settings were changed by someone else; reload and try again.") from None
        raise
    clear_cache()
    return get_settings(fresh=True)
