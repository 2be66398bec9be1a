"""Powertools Logger and Metrics, created on first use.

Importing Powertools costs tens of milliseconds, which would land on every cold start if
done when app.py is imported; they are built the first time a handler needs them instead.

No Powertools Tracer: the app opens no subsegments and the X-Ray SDK is not packaged.
Lambda's active tracing (the stack turns it on) records each invocation and its duration
only, not the DynamoDB or SES calls inside it; logs and metrics cover those.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.config import log_level

SERVICE = "portico"
NAMESPACE = "Portico"


@lru_cache(maxsize=1)
def logger() -> Any:
    from aws_lambda_powertools import Logger  # lazy: cold start

    return Logger(service=SERVICE, level=log_level())


@lru_cache(maxsize=1)
def metrics() -> Any:
    from aws_lambda_powertools import Metrics  # lazy: cold start

    return Metrics(namespace=NAMESPACE, service=SERVICE)


def count_metric(name: str, value: float = 1, unit: str = "Count") -> None:
    """One data point of `name`; a metric that cannot be recorded never stops the work that
    reports it (a delivery, a bounce)."""
    try:
        from aws_lambda_powertools.metrics import MetricUnit  # lazy: cold start

        metrics().add_metric(name=name, unit=MetricUnit[unit], value=value)
    except Exception:
        logger().debug("metric %s not recorded", name)
