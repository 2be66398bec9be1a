"""Domain errors. Services raise these; the route layer turns them into the API's
`{"code", "message"}` answers (see routes/api.py for the code → status table)."""

from __future__ import annotations


class PorticoError(Exception):
    code = "error"
    status = 400
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, code: str | None = None, fields: dict[str, str] | None = None,
                 retry_after: int | None = None) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        if code:
            self.code = code
        self.fields = fields
        self.retry_after = retry_after


class InvalidInput(PorticoError):
    code, status, default_message = "validation_error", 400, "The request is not valid."


class Unauthorized(PorticoError):
    code, status, default_message = "unauthorized", 401, "Authentication is required."


class InvalidCredentials(PorticoError):
    code, status, default_message = "invalid_credentials", 401, "The email or password is not correct."


class Forbidden(PorticoError):
    code, status, default_message = "forbidden", 403, "You do not have permission to do this."


class NotFound(PorticoError):
    code, status, default_message = "not_found", 404, "Not found."


class Conflict(PorticoError):
    code, status, default_message = "conflict", 409, "The request conflicts with the current state."


class UnsupportedMediaType(PorticoError):
    code, status, default_message = "unsupported_media_type", 415, "Send the body as application/json."


class Gone(PorticoError):
    code, status, default_message = "token_expired", 410, "This link has expired."


class TooManyRequests(PorticoError):
    code, status, default_message = "too_many_requests", 429, "Too many attempts. Try again later."


class ReadOnly(PorticoError):
    code, status, default_message = "read_only", 403, "This is a read-only session: changes are not allowed."
