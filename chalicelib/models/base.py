"""What every PynamoDB model shares: where its table is and how it is billed.

Table names, region and endpoint come from the environment when the model module is
imported (the local stack and tests set them before importing the app).
"""

from __future__ import annotations

from datetime import UTC

from pynamodb.attributes import UTCDateTimeAttribute

from chalicelib import config


def table_meta(logical: str) -> type:
    """A PynamoDB `Meta` for the table with this logical name (see config.TABLES)."""

    class Meta:
        table_name = config.table_name(logical)
        region = config.aws_region()
        host = config.aws_endpoint_url()
        billing_mode = "PAY_PER_REQUEST"

    return Meta


class UTCDateTime(UTCDateTimeAttribute):
    """UTCDateTimeAttribute that always hands back aware UTC datetimes."""

    def deserialize(self, value):  # type: ignore[override]
        return super().deserialize(value).astimezone(UTC)
