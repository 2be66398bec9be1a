from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class Strict(BaseModel):
    """Request models refuse unknown fields, so a typo is a 400 rather than silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PageQuery(Strict):
    limit: int = Field(25, ge=1, le=100, description="Page size (max 100).")
    cursor: str | None = Field(None, max_length=2048, description="Opaque cursor from `next_cursor`.")


class Error(BaseModel):
    code: str
    message: str
    fields: dict[str, str] | None = None


Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254,
                                         pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
