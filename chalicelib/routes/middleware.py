"""Chalice middleware: what runs around every request, whichever route (or none) answers it.
routes/pipeline.py puts them in order."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chalice import Response

from chalicelib.errors import InvalidInput
from chalicelib.observability import logger, metrics
from chalicelib.routes.api import MAX_BODY_BYTES, error_response

API_CSP = "default-src 'none'; frame-ancestors 'none'"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# Chalice answers some requests itself (unsupported media type, its own BadRequestError,
# an unhandled exception) in its {"Code", "Message"} format; we answer in ours.
_CHALICE_CODES = {
    "BadRequestError": "validation_error", "UnauthorizedError": "unauthorized", "ForbiddenError": "forbidden",
    "NotFoundError": "not_found", "ConflictError": "conflict", "UnprocessableEntityError": "validation_error",
    "TooManyRequestsError": "too_many_requests", "UnsupportedMediaType": "unsupported_media_type",
    "MethodNotAllowedError": "method_not_allowed", "RequestTimeoutError": "timeout",
    "InternalServerError": "internal_error",
}


def _is_https(request: Any) -> bool:
    headers = request.headers or {}
    return headers.get("x-forwarded-proto") == "https" or bool((request.context or {}).get("domainName", "")
                                                               .endswith("amazonaws.com"))


def _normalise_error(response: Response) -> None:
    body = response.body
    if isinstance(body, dict) and "Code" in body and "code" not in body:
        code = _CHALICE_CODES.get(str(body["Code"]), "error")
        message = str(body.get("Message") or "The request could not be processed.")
        if code == "internal_error":
            message = "Something went wrong on our side. The request was not completed."
        response.body = {"code": code, "message": message}
        response.headers["Content-Type"] = "application/json"


def log_request(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """The request id and route on every log line of the request, then one "request" line with
    the status and duration (error level for a 5xx), and the request metrics."""
    started = time.perf_counter()
    log = logger()
    context = event.context or {}
    lambda_context = getattr(event, "lambda_context", None)
    request_id = context.get("requestId") or getattr(lambda_context, "aws_request_id", None)
    log.append_keys(request_id=request_id, route=f"{event.method} {context.get('resourcePath')}")
    response = get_response(event)
    elapsed_ms = (time.perf_counter() - started) * 1000
    status = response.status_code
    level = log.error if status >= 500 else log.info
    level("request", extra={"status": status, "duration_ms": round(elapsed_ms, 1)})
    _record_metrics(status, elapsed_ms)
    log.remove_keys(["request_id", "route"])
    return response


def secure_answer(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Every answer, whoever made it: Chalice's own errors in the `{code, message}` format, and
    the security headers (HSTS only over https)."""
    response = get_response(event)
    _normalise_error(response)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", API_CSP)
    response.headers.setdefault("Cache-Control", "no-store")
    if _is_https(event):
        response.headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    return response


def refuse_oversized_body(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Every route, whether or not it reads a body, refuses one over MAX_BODY_BYTES before any
    work (auth, gates, parsing): 400 `validation_error` with `fields.body`, as the contract's
    bad-input answer. API Gateway itself stops bodies over 10 MB."""
    if len(event.raw_body or b"") <= MAX_BODY_BYTES:
        return get_response(event)
    return error_response(InvalidInput(f"The request body is too large ({MAX_BODY_BYTES // 1024} KB at most).",
                                       fields={"body": "too large"}))


def _record_metrics(status: int, elapsed_ms: float) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    m = metrics()
    m.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
    if status >= 500:
        m.add_metric(name="ServerErrors", unit=MetricUnit.Count, value=1)
    elif status >= 400:
        m.add_metric(name="ClientErrors", unit=MetricUnit.Count, value=1)
    m.add_metric(name="Latency", unit=MetricUnit.Milliseconds, value=elapsed_ms)
    m.flush_metrics()


def log_invocation(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Cold-start marker and Lambda request id on the log lines of every handler (HTTP,
    schedule, stream)."""
    log = logger()
    lambda_context = getattr(event, "lambda_context", None) or getattr(event, "context", None)
    request_id = getattr(lambda_context, "aws_request_id", None)
    log.append_keys(cold_start=_consume_cold_start(), aws_request_id=request_id)
    return get_response(event)


_cold = True


def _consume_cold_start() -> bool:
    global _cold
    was_cold, _cold = _cold, False
    return was_cold
