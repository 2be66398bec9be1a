"""Request and answer bodies of uploads and downloads (product.md §7). The file rules
(name, type, size against the settings) live in services/attachments.py; these only type
the fields, so every refusal comes back as one 400 naming the fields."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from chalicelib.schemas.common import Query, Schema, Strict

# An upload id as ticket and note creation take it (a ULID; anything else is "unknown upload").
UploadId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
# Hard cap of the `attachments` list; the setting upload_max_files (default 10) is checked by the service.
MAX_ATTACHMENTS = 20


class UploadCreate(Strict):
    filename: str = Field(max_length=4096, description="The file's name, without a path (at most 255 characters).")
    content_type: str = Field(max_length=255, description="The file's MIME type: one of the setting upload_types.")
    size: int = Field(description="The file's exact size in bytes (1 .. upload_max_mb MB).")


class Upload(Schema):
    upload_id: str
    url: str = Field(description="POST the file here as multipart/form-data: `fields` first, then `file`.")
    fields: dict[str, str]
    expires_at: str


class DownloadQuery(Query):
    redirect: bool = Field(True, description="false: answer {url, expires_at} instead of a 302.")


class DownloadLink(Schema):
    url: str
    expires_at: str


class Attachment(Schema):
    id: str
    filename: str
    content_type: str
    size: int
