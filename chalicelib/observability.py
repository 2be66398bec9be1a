"""Powertools Logger, Metrics and Tracer, created on first use.

Importing Powertools costs tens of milliseconds (the Tracer about 0.2 s), which would
land on every cold start if done when app.py is imported; they are built the first time
a handler needs them instead.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

SERVICE = "portico"
NAMESPACE = "Portico"


@lru_cache(maxsize=1)
def logger() -> Any:
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE, level=os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO"))


@lru_cache(maxsize=1)
def metrics() -> Any:
    from aws_lambda_powertools import Metrics

    return Metrics(namespace=NAMESPACE, service=SERVICE)


@lru_cache(maxsize=1)
def tracer() -> Any:
    """X-Ray tracing, only where it is switched on (POWERTOOLS_TRACE_DISABLED unset in AWS)."""
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE)


def tracing_enabled() -> bool:
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "true").lower() not in ("1", "true")
