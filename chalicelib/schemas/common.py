from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class Strict(BaseModel):
    """Base of JSON request bodies: unknown fields are refused (a typo is a 400, not silently
    ignored) and types are strict (`"yes"` is not a boolean, `"5"` is not a number)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)


class Query(BaseModel):
    """Base of query strings: values arrive as text, so numbers are parsed from it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PageQuery(Query):
    limit: int = Field(25, ge=1, le=100, description="Page size (max 100).")
    cursor: str | None = Field(None, max_length=2048, description="Opaque cursor from `next_cursor`.")


class Error(BaseModel):
    code: str
    message: str
    fields: dict[str, str] | None = None


Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254,
                                         pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
