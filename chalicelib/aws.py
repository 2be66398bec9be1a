"""boto3 clients, one per service per container, pointed at moto in the local stack."""

from __future__ import annotations

from functools import cache
from typing import Any

from chalicelib.config import aws_endpoint_url, aws_region


@cache
def client(service: str) -> Any:
    import boto3  # lazy: cold start

    return boto3.client(service, region_name=aws_region(), endpoint_url=aws_endpoint_url())


def reset() -> None:
    client.cache_clear()
