"""Run an action once per idempotency key (api.md's `Idempotency-Key`, on the routes declared
idempotent): a retry with the same key returns the first answer and does nothing again. Built
on Powertools' idempotency utility with its DynamoDB persistence layer, imported on first use
(it is heavy for a cold start).

Keys are unique within a namespace (the route, its path parameters and the caller), so two
callers' keys never collide; the request's payload is compared too, so reusing a key for a
different request is a 409 rather than a silent replay of something else."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from chalicelib.errors import Conflict, InvalidInput

RECORD_TTL_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 200
_local = threading.local()


@lru_cache(maxsize=1)
def _idempotent_runner() -> tuple[Callable[..., Any], Any]:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    from chalicelib import aws
    from chalicelib.config import table_name

    persistence = DynamoDBPersistenceLayer(table_name=table_name("idempotency"), key_attr="id",
                                           boto3_client=aws.client("dynamodb"))
    config = IdempotencyConfig(event_key_jmespath="key", payload_validation_jmespath="payload",
                               expires_after_seconds=RECORD_TTL_SECONDS, raise_on_no_idempotency_key=True)

    @idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=config)
    def run_once(request: dict[str, str]) -> Any:  # noqa: ARG001  (Powertools keys the record on it)
        return _local.action()

    return run_once, config


def once(namespace: str, key: str | None, payload: bytes, action: Callable[[], dict[str, Any]],
         lambda_context: Any = None) -> dict[str, Any]:
    """Run `action` once per (namespace, key); without a key, just run it.

    `lambda_context` (anything with `get_remaining_time_in_millis`) bounds the in-progress
    record by the invocation's deadline: without it, a request cut off by the Lambda timeout
    would leave its key "in progress" (409 to every retry) until the record expires a day later."""
    if not key:
        return action()
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
                           fields={"Idempotency-Key": "invalid"})
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    request = {"key": f"{namespace}#{key}", "payload": hashlib.sha256(payload).hexdigest()}
    _local.action = action
    run_once, config = _idempotent_runner()
    config.register_lambda_context(lambda_context)
    try:
        return run_once(request=request)
    except IdempotencyValidationError:
        raise Conflict("This Idempotency-Key was already used for a different request.") from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict("A request with this Idempotency-Key is still in progress; retry shortly.") from None
    finally:
        _local.action = None
