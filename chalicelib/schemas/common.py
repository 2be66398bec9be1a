from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


class Schema(BaseModel):
    """Base of every schema. Built on first use (`defer_build`), not when its module is
    imported: a request validates with one or two models of a module that declares a dozen,
    and the answer models are only read to write /openapi.json. Building them all made a
    cold container's first request pay for every model of its capability."""

    model_config = ConfigDict(defer_build=True)


class Strict(Schema):
    """Base of JSON request bodies: unknown fields are refused (a typo is a 400, not silently
    ignored) and types are strict (`"yes"` is not a boolean, `"5"` is not a number)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)


class Query(Schema):
    """Base of query strings: values arrive as text, so numbers are parsed from it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PageQuery(Query):
    limit: int = Field(25, ge=1, le=100, description="Page size (max 100).")
    cursor: str | None = Field(None, max_length=2048, description="Opaque cursor from `next_cursor`.")


class Error(Schema):
    code: str
    message: str
    fields: dict[str, str] | None = None


# Printable ASCII only (\x21-\x7e without "@"): SES v1 cannot send to a non-ASCII local part,
# and a control character or space inside an address is never a real mailbox. Surrounding
# whitespace is stripped first; an internationalised domain must be given in punycode.
_EMAIL_CHAR = r"[\x21-\x3f\x41-\x7e]"
Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254,
                                         pattern=rf"^{_EMAIL_CHAR}+@{_EMAIL_CHAR}+\.{_EMAIL_CHAR}+$")]


# Unicode's control characters (category Cc: C0, DEL and C1). A one-line field ends up in a mail
# subject, a header or a log line, where a CR/LF could start a new header ("Bcc: ...") or a NUL
# cut the value short, so they are refused rather than stripped.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must be one line without control characters (line breaks, tabs, NUL)")
    return value


one_line_check = _no_control_characters


def one_line(max_length: int, min_length: int = 1) -> Any:
    """A single-line text field: whitespace around it stripped, no control characters."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
                     AfterValidator(_no_control_characters)]


# Ids and filters (an organization id, a requester, an email prefix): one line too. They reach
# key lookups and log lines, never mail, but a control character in them is never meant.
Identifier = one_line(64, min_length=0)
