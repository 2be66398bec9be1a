from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.models import Model

from chalicelib.models.base import UTCDateTime, table_meta

GLOBAL_SETTINGS_ID = "global"


class SettingsModel(Model):
    """One item (`id = "global"`) holding the product settings agents edit at run time."""

    Meta = table_meta("settings")

    id = UnicodeAttribute(hash_key=True)
    portal_enabled = BooleanAttribute()
    self_signup = BooleanAttribute()
    allow_all_ips = BooleanAttribute()
    ip_allowlist = ListAttribute(of=UnicodeAttribute)
    allow_client_rating = BooleanAttribute()
    activation_ttl_hours = NumberAttribute()
    invitation_reminder_days = ListAttribute(of=NumberAttribute)
    agents_email = UnicodeAttribute(null=True)
    client_admin_invites_per_hour = NumberAttribute(null=True)  # absent in items saved before it existed
    upload_max_mb = NumberAttribute(null=True)
    upload_max_files = NumberAttribute(null=True)
    upload_types = ListAttribute(of=UnicodeAttribute, null=True)
    client_2fa = UnicodeAttribute(null=True)  # off | optional | required (absent: off)
    email_unknown_senders = UnicodeAttribute(null=True)  # reject | create_client (absent: reject)
    email_in_per_sender_hour = NumberAttribute(null=True)
    ticket_categories = ListAttribute(of=UnicodeAttribute, null=True)
    # Branding (product.md §12): shown by the page and in every mail's template data.
    portal_name = UnicodeAttribute(null=True)
    logo_url = UnicodeAttribute(null=True)  # https only
    accent_color = UnicodeAttribute(null=True)  # "#rrggbb"
    updated_at = UTCDateTime(null=True)
    updated_by = UnicodeAttribute(null=True)
    version = VersionAttribute()
