"""What every PynamoDB model shares: where its table is and how it is billed.

Table names, region and endpoint come from the environment when the model module is
imported (the local stack and tests set them before importing the app).
"""

from __future__ import annotations

import threading
from datetime import UTC
from typing import Any, TypeVar

import botocore.session
from pynamodb.attributes import UTCDateTimeAttribute
from pynamodb.connection import base as pynamodb_connection_base
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, Projection
from pynamodb.models import Model

from chalicelib import config


def _share_botocore_sessions() -> None:
    """One botocore session per thread for every PynamoDB model, instead of one per model.

    PynamoDB gives each model's connection its own `botocore.session.get_session()`, and
    each session parses botocore's data files again (endpoints, the DynamoDB service model:
    about 9 MB and 30 ms per model, measured by `make bench`'s cold handler memory). The
    session stays per thread, as PynamoDB wants (botocore client creation is not thread safe);
    each model still gets its own client, built from the shared, already parsed data."""
    local = threading.local()

    def thread_session() -> botocore.session.Session:
        if getattr(local, "session", None) is None:
            local.session = botocore.session.get_session()
        return local.session

    pynamodb_connection_base.get_session = thread_session  # type: ignore[attr-defined]


_share_botocore_sessions()


def table_meta(logical: str) -> type:
    """A PynamoDB `Meta` for the table with this logical name (see config.TABLES)."""

    class Meta:
        table_name = config.table_name(logical)
        region = config.aws_region()
        host = config.aws_endpoint_url()
        billing_mode = "PAY_PER_REQUEST"

    return Meta


def index_meta(name: str, projection: Projection | None = None) -> type:
    """A PynamoDB `Meta` for a global secondary index: its name and projection (by default
    every attribute)."""
    return type("Meta", (), {"index_name": name, "projection": projection or AllProjection()})


M = TypeVar("M", bound=Model)
MAX_KEY_BYTES = 2048  # DynamoDB's limit for a partition key


def is_plain_id(value: str | None) -> bool:
    """An id as Portico makes them: present, at most 64 characters and without '#', so a
    caller's id can never name another kind's composite key (email#..., term#...)."""
    return bool(value) and "#" not in value and len(value) <= 64


def get_of_kind(model: type[M], key: str, item_kind: str, *, consistent_read: bool = True) -> M | None:
    """The item at `key` if its stored `kind` is `item_kind`: the tables hold several kinds of item
    (clients beside their email guards and tokens, tickets beside the number counter).
    A key DynamoDB cannot hold (empty, or over its 2048-byte limit) names nothing; asking
    would be a ValidationException, a 500 for what is only an unknown id."""
    if not key or len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        return None
    try:
        item = model.get(key, consistent_read=consistent_read)
    except DoesNotExist:
        return None
    return item if getattr(item, "kind", None) == item_kind else None


def key_after_returned(result: Any, items: list[Any]) -> dict[str, Any] | None:
    """Where a filtered Query's next page starts: after the last item it returned (`items`, in
    order), in the LastEvaluatedKey form (table and index keys); None when the Query is done.
    DynamoDB's own LastEvaluatedKey is the last item it *evaluated*, which may be one the filter
    left out (a blocked ticket, an internal note): a cursor must never be made from that."""
    if result.last_evaluated_key is None or not items:
        return None
    return key_of(items[-1], result.page_iter.key_names)


def key_of(item: Any, key_names: Any) -> dict[str, Any]:
    """`item`'s position in a Query, in the LastEvaluatedKey form: its `key_names` (the table's
    and the index's keys, `page_iter.key_names`) as stored."""
    stored = item.serialize(null_check=False)
    return {name: stored[name] for name in key_names}


class UTCDateTime(UTCDateTimeAttribute):
    """UTCDateTimeAttribute that always hands back aware UTC datetimes."""

    def deserialize(self, value):  # type: ignore[override]
        return super().deserialize(value).astimezone(UTC)
