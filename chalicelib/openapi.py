"""OpenAPI 3.1 document of every route, generated from the registry in routes/api.py and
the same pydantic models that validate requests, so the two cannot disagree."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from chalicelib.routes.api import OPERATIONS, Operation, schema
from chalicelib.services.idempotency import MAX_KEY_LENGTH

_REF = "#/components/schemas/{model}"
_ERROR_TEXT = {400: "Bad input", 401: "Not authenticated", 403: "Not allowed", 404: "Not found",
               409: "Conflict", 410: "Link expired or used", 415: "Body not application/json",
               429: "Too many requests"}


def _model_schema(ref: str, components: dict[str, Any]) -> dict[str, Any]:
    model = schema(ref)
    body = model.model_json_schema(ref_template=_REF, mode="serialization")
    for name, definition in body.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = body
    return {"$ref": _REF.format(model=model.__name__)}


def _query_parameters(ref: str) -> list[dict[str, Any]]:
    model = schema(ref)
    body = model.model_json_schema(mode="validation")
    required = set(body.get("required", []))
    return [{"name": name, "in": "query", "required": name in required, "schema": prop,
             **({"description": prop["description"]} if "description" in prop else {})}
            for name, prop in body.get("properties", {}).items()]


def _security(operation: Operation) -> list[dict[str, list]]:
    if operation.auth == "agent":
        return [{"cognitoIdToken": []}]
    if operation.auth == "portal":
        return [{"portalSession": []}, {"portalBearer": []}]
    return []


def _operation(operation: Operation, components: dict[str, Any]) -> dict[str, Any]:
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in re.findall(r"{(\w+)}", operation.path)]
    if operation.query:
        parameters += _query_parameters(operation.query)
    if operation.same_site_only:
        parameters.append({"name": "X-Requested-With", "in": "header", "required": True,
                           "description": "Must be `portico`: a page of another site cannot send it (no login "
                                          "CSRF). Without it: 403 `forbidden`. The body, if any, must be "
                                          "application/json (else 415 `unsupported_media_type`).",
                           "schema": {"type": "string", "const": "portico"}})
    if operation.idempotent:
        parameters.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "description": "A retry with the same key and body answers the first answer and "
                                          "changes nothing; the same key with another body is 409.",
                           "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH}})
    doc: dict[str, Any] = {
        "operationId": f"{operation.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', operation.path.lower()).strip('_')}",
        "summary": operation.summary,
        "tags": [operation.tag],
        "security": _security(operation),
        "parameters": parameters,
        "responses": {},
    }
    if operation.body:
        doc["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": _model_schema(operation.body, components)}}}
    success: dict[str, Any] = {"description": "Success"}
    if operation.response == "html":
        success["content"] = {"text/html": {"schema": {"type": "string"}}}
    elif operation.response:
        success["content"] = {"application/json": {"schema": _model_schema(operation.response, components)}}
    doc["responses"][str(operation.status)] = success
    error_statuses = set(operation.errors)
    if operation.body or operation.query:
        error_statuses.add(400)
    if operation.idempotent:
        error_statuses.add(409)
    if operation.same_site_only:
        error_statuses.update((403, 415))
    if operation.auth not in ("public", "open", "portal_optional"):
        error_statuses.add(401)
    if operation.permission or operation.auth in ("portal", "public", "portal_optional"):
        error_statuses.add(403)  # public and portal routes: also the portal gates' `portal_blocked`
    error_ref = _model_schema("common.Error", components)
    for status in sorted(error_statuses):
        doc["responses"][str(status)] = {"description": _ERROR_TEXT.get(status, "Error"),
                                         "content": {"application/json": {"schema": error_ref}}}
        if status == 429:
            doc["responses"]["429"]["headers"] = {"Retry-After": {
                "description": "Seconds until the attempt may be made again.", "schema": {"type": "integer"}}}
    return doc


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(operation, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Portico API", "version": "1.0.0",
                 "description": "Client self-service portal and helpdesk back end. Any request whose body "
                                "is over 256 KB is answered 400 `validation_error` (`fields.body`)."},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "cognitoIdToken": {"type": "apiKey", "in": "header", "name": "Authorization",
                                   "description": "A Cognito ID token of the agents' user pool."},
                "portalSession": {"type": "apiKey", "in": "cookie", "name": "portico_session"},
                "portalBearer": {"type": "http", "scheme": "bearer"},
            },
        },
    }
