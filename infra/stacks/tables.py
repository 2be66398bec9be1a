"""DynamoDB tables derived from the PynamoDB models, so the stack and the code share one
definition of each table (keys, indexes, projections, TTL, stream).

`tests/infra/test_template.py` compares the synthesized template with the models again,
independently of this module, so a mistake here cannot hide a drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from chalicelib import config
from chalicelib.models import table_models

ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
PROJECTIONS = {
    "ALL": dynamodb.ProjectionType.ALL,
    "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
    "INCLUDE": dynamodb.ProjectionType.INCLUDE,
}
STREAM_VIEWS = {
    "NEW_IMAGE": dynamodb.StreamViewType.NEW_IMAGE,
    "OLD_IMAGE": dynamodb.StreamViewType.OLD_IMAGE,
    "NEW_AND_OLD_IMAGES": dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    "KEYS_ONLY": dynamodb.StreamViewType.KEYS_ONLY,
}


@dataclass(frozen=True)
class TableSpec:
    """A table as DynamoDB sees it: what the model (or a library's convention) declares."""

    logical: str
    key_schema: list[dict[str, str]]
    attribute_types: dict[str, str]
    global_indexes: list[dict[str, Any]] = field(default_factory=list)
    local_indexes: list[dict[str, Any]] = field(default_factory=list)
    ttl_attribute: str | None = None
    stream_view_type: str | None = None


# Tables the app uses through a library rather than a PynamoDB model. Powertools'
# idempotency persistence layer (DynamoDBPersistenceLayer) keys its records on `id` and
# expires them through `expiration` unless told otherwise.
MODELLESS_TABLES: dict[str, TableSpec] = {
    "idempotency": TableSpec(
        logical="idempotency",
        key_schema=[{"AttributeName": "id", "KeyType": "HASH"}],
        attribute_types={"id": "S"},
        ttl_attribute="expiration",
    ),
}


def spec_from_model(logical: str, model: type) -> TableSpec:
    """PynamoDB's own view of the table (`_get_schema()` is what `create_table` sends)."""
    schema = model._get_schema()
    types = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
    for index in (*schema["global_secondary_indexes"], *schema["local_secondary_indexes"]):
        types.update({a["AttributeName"]: a["AttributeType"] for a in index.get("attribute_definitions", [])})
    return TableSpec(
        logical=logical,
        key_schema=schema["key_schema"],
        attribute_types=types,
        global_indexes=schema["global_secondary_indexes"],
        local_indexes=schema["local_secondary_indexes"],
        ttl_attribute=getattr(model.Meta, "ttl_attribute", None),
        stream_view_type=getattr(model.Meta, "stream_view_type", None),
    )


def table_specs() -> tuple[dict[str, TableSpec], list[str]]:
    """Every table of config.TABLES that something defines, and the names nothing defines yet."""
    models = table_models()
    specs: dict[str, TableSpec] = {}
    undefined: list[str] = []
    for logical in config.TABLES:
        if logical in models:
            specs[logical] = spec_from_model(logical, models[logical])
        elif logical in MODELLESS_TABLES:
            specs[logical] = MODELLESS_TABLES[logical]
        else:
            undefined.append(logical)
    # A model registered under a name config.TABLES does not list still gets its table.
    for logical, model in models.items():
        specs.setdefault(logical, spec_from_model(logical, model))
    return specs, undefined


def physical_name(stage: str, logical: str) -> str:
    """Same convention as chalicelib.config.table_name's default and .chalice/config.json."""
    return f"portico-{stage}-{logical.replace('_', '-')}"


def _key(spec: TableSpec, key_schema: list[dict[str, str]], key_type: str) -> dynamodb.Attribute | None:
    for key in key_schema:
        if key["KeyType"] == key_type:
            name = key["AttributeName"]
            return dynamodb.Attribute(name=name, type=ATTRIBUTE_TYPES[spec.attribute_types[name]])
    return None


def _projection(index: dict[str, Any]) -> dict[str, Any]:
    projection = index.get("projection") or {"ProjectionType": "ALL"}
    options: dict[str, Any] = {"projection_type": PROJECTIONS[projection["ProjectionType"]]}
    if projection.get("NonKeyAttributes"):
        options["non_key_attributes"] = list(projection["NonKeyAttributes"])
    return options


def kept_data_policy(production: bool) -> cdk.RemovalPolicy:
    """Production data outlives the stack (an update that replaces the resource, or a delete,
    keeps it), but not a failed first creation: its rollback deletes it, so the deploy can be
    retried as is. A dev stack cleans up after itself."""
    return cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE if production else cdk.RemovalPolicy.DESTROY


def create_table(scope: Construct, stage: str, spec: TableSpec, *, production: bool,
                 deletion_protection: bool) -> dynamodb.Table:
    construct_id = "".join(part.capitalize() for part in spec.logical.split("_")) + "Table"
    table = dynamodb.Table(
        scope,
        construct_id,
        table_name=physical_name(stage, spec.logical),
        partition_key=_key(spec, spec.key_schema, "HASH"),
        sort_key=_key(spec, spec.key_schema, "RANGE"),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True),
        # Off on the first deploy (a rollback must be able to delete the table); see StageSettings.
        deletion_protection=deletion_protection,
        removal_policy=kept_data_policy(production),
        time_to_live_attribute=spec.ttl_attribute,
        stream=STREAM_VIEWS[spec.stream_view_type] if spec.stream_view_type else None,
    )
    for index in spec.global_indexes:
        table.add_global_secondary_index(
            index_name=index["index_name"],
            partition_key=_key(spec, index["key_schema"], "HASH"),
            sort_key=_key(spec, index["key_schema"], "RANGE"),
            **_projection(index),
        )
    for index in spec.local_indexes:
        table.add_local_secondary_index(
            index_name=index["index_name"],
            sort_key=_key(spec, index["key_schema"], "RANGE"),
            **_projection(index),
        )
    return table
