from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import UTCDateTime, index_meta, table_meta

ORGANIZATION_KIND = "organization"


class OrganizationsByName(GlobalSecondaryIndex):
    """Every organization in name order: the agents' list and its prefix search.
    Only organization items carry `kind`, so name guards stay out of it."""

    Meta = index_meta("by_name")

    kind = UnicodeAttribute(hash_key=True)
    name_lower = UnicodeAttribute(range_key=True)


class OrganizationsByJoinDomain(GlobalSecondaryIndex):
    """Sparse: only organizations with `join_by_domain` on carry `join_domain` (their lowercased
    domain), so a verified self-sign-up finds the organization it joins with one Query."""

    Meta = index_meta("by_join_domain")

    join_domain = UnicodeAttribute(hash_key=True)


class OrganizationModel(Model):
    Meta = table_meta("organizations")

    id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    name_lower = UnicodeAttribute(null=True)
    domain = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(null=True)
    portal_enabled = BooleanAttribute(null=True)  # None: on (the default)
    join_by_domain = BooleanAttribute(null=True)
    join_domain = UnicodeAttribute(null=True)  # lowercased domain, only while join_by_domain is on
    require_2fa = BooleanAttribute(null=True)  # its clients need a second factor to log in
    created_at = UTCDateTime(null=True)
    updated_at = UTCDateTime(null=True)
    # Name guards are items `id = "name#<lowercased name>"` that make names unique:
    # they are written in the same transaction as the organization, on condition that
    # they do not exist yet.
    owner_id = UnicodeAttribute(null=True)

    by_name = OrganizationsByName()
    by_join_domain = OrganizationsByJoinDomain()


def name_guard_id(name: str) -> str:
    return f"name#{name.lower()}"
