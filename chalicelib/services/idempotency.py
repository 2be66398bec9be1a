"""Run an action once per idempotency key (api.md's `Idempotency-Key`, on the routes declared
idempotent): a retry with the same key returns the first answer and does nothing again.

Two ways, by the route's declaration (routes/api.py):
- `once`: Powertools' idempotency utility with its DynamoDB persistence layer, imported on
  first use (heavy for a cold start). It claims the key (PutItem) before the action and
  stores the answer (UpdateItem) after: 2 calls of its own.
- `WriteOnce` (routes declared `idempotent=IN_WRITE`: ticket creates and notes, which the
  portal page sends with a key every time): the key's record, answer included, is one more
  item of the TransactWriteItems that does the work, written only if the key is unclaimed.
  No call of its own, and no "in progress" state: of two requests racing with one key, one
  transaction wins and the other, failing on the record, answers what the winner stored.

Keys are unique within a namespace (the route, its path parameters and the caller), so two
callers' keys never collide; the request's payload is compared too, so reusing a key for a
different request is a 409 rather than a silent replay of something else."""

from __future__ import annotations

import copy
import hashlib
import json
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.errors import Conflict, InvalidInput
from chalicelib.models.idempotency import IdempotencyRecord

RECORD_TTL_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 200
REUSED = "This Idempotency-Key was already used for a different request."  # 409, on both ways
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


def checked_key(key: str | None) -> str | None:
    """The header's key, stripped; None without one; 400 when empty or too long."""
    if not key:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
                           fields={"Idempotency-Key": "invalid"})
    return key


def once(namespace: str, key: str | None, payload: bytes, action: Callable[[], dict[str, Any]],
         lambda_context: Any = None) -> dict[str, Any]:
    """Run `action` once per (namespace, key); without a key, just run it.

    `lambda_context` (anything with `get_remaining_time_in_millis`) bounds the in-progress
    record by the invocation's deadline: without it, a request cut off by the Lambda timeout
    would leave its key "in progress" (409 to every retry) until the record expires a day later."""
    key = checked_key(key)
    if key is None:
        return action()
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
        raise Conflict(REUSED) from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict("A request with this Idempotency-Key is still in progress; retry shortly.") from None
    finally:
        _local.action = None


# --- the key claimed in the write itself -------------------------------------------------

COMPLETED = "COMPLETED"
RECORD_PREFIX = "write#"  # never a Powertools record id (those start with the function's name)


class Replay(Exception):  # not an error: the answer to give instead
    """The key was already claimed: `record` holds the first request's answer."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__("replay")
        self.record = record


class WriteOnce:
    """An Idempotency-Key for a write that claims it in its own transaction.

    The route sets `shape` (what the write made -> the answer); the service adds
    `record(made)` to its TransactionPlan (`idempotency`), and on a failed transaction calls
    `raise_if_claimed`. A service that reads before writing may read `record_id` alongside
    and call `replay_if_stored`; a write that reads nothing first has it read with the caller's
    session (`read_first`, routes/portal_session.py). The pipeline turns `Replay` into the
    stored answer."""

    def __init__(self, namespace: str, key: str, payload: bytes) -> None:
        self.record_id = RECORD_PREFIX + hashlib.sha256(f"{namespace}#{key}".encode()).hexdigest()
        self.payload_hash = hashlib.sha256(payload).hexdigest()
        self.shape: Callable[[Any], dict[str, Any]] | None = None
        # The key's record as read before the handler ran (routes IN_WRITE_READ_FIRST: with the
        # caller's session), None when there was none.
        self.read_first: IdempotencyRecord | None = None

    def record(self, made: Any) -> IdempotencyRecord:
        """The key's record with the answer `made` gives (written only where the key is unclaimed:
        TransactionPlan.write)."""
        if self.shape is None:
            raise AssertionError("the route must set WriteOnce.shape before the service writes")
        return IdempotencyRecord(self.record_id, status=COMPLETED, data=json.dumps(self.shape(_as_written(made))),
                                 validation=self.payload_hash, expiration=int(time.time()) + RECORD_TTL_SECONDS)

    def answer(self, record: IdempotencyRecord) -> dict[str, Any]:
        """The first request's answer; 409 when the key came with another body."""
        if record.validation != self.payload_hash:
            raise Conflict(REUSED)
        return json.loads(record.data or "null")

    def replay_if_stored(self, record: IdempotencyRecord | None) -> None:
        """Replay when `record` (read with the write's other items) is this key's, still live."""
        if record is not None and live(record):
            raise Replay(record)

    def replay_if_read(self) -> None:
        """Replay when the record read before the handler is this key's, still live."""
        self.replay_if_stored(self.read_first)

    def replay_if_recorded(self) -> None:
        """One GetItem: replay when the key is already claimed (for a refusal a retry would
        meet anyway, such as its files being bound already)."""
        try:
            record = IdempotencyRecord.get(self.record_id, consistent_read=True)
        except DoesNotExist:
            return
        self.replay_if_stored(record)

    def raise_if_claimed(self, error: Exception) -> None:
        """After a failed transaction: replay when the key's record (written first) failed its
        condition, the rest of the transaction being untouched."""
        reasons = getattr(error, "cancellation_reasons", None) or []
        reason = reasons[0] if reasons else None
        if reason is None or reason.code != "ConditionalCheckFailed":
            return
        if reason.raw_item:
            raise Replay(IdempotencyRecord.from_raw_data(reason.raw_item))
        self.replay_if_recorded()


def live(record: IdempotencyRecord) -> bool:
    """Not expired (DynamoDB's TTL deletes expired items, up to days later)."""
    return record.expiration is None or int(record.expiration) > time.time()


def unclaimed_condition() -> Any:
    """Where a key's record may be written: none yet, or only an expired one."""
    return IdempotencyRecord.id.does_not_exist() | (IdempotencyRecord.expiration < int(time.time()))


def write_once(namespace: str, key: str | None, payload: bytes) -> WriteOnce | None:
    key = checked_key(key)
    return None if key is None else WriteOnce(namespace, key, payload)


def _as_written(made: Any) -> Any:
    """`made` as its transaction writes it: the record is built before the write, and saving a
    versioned item in the transaction bumps its version (PynamoDB updates the local copy only
    after the commit), so the stored answer carries the version the first answer shows."""
    name = getattr(type(made), "_version_attribute_name", None)
    if not name:
        return made
    written = copy.copy(made)
    written.attribute_values = dict(made.attribute_values)
    setattr(written, name, (getattr(made, name) or 0) + 1)
    return written
