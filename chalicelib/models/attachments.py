"""The attachments table: uploads and the files bound to tickets and notes (product.md §7).

Two kinds of item, by key:
  - `upload#<upload id>`  an upload a caller asked for (`POST .../uploads`): who may bind it,
                          what they declared (name, type, size), the S3 key under `uploads/`;
                          once bound it names its file (`bound_file_id`), so it binds once.
                          TTL: the object under `uploads/` expires after a day (S3 lifecycle),
                          so the item goes a day later.
  - `file#<file id>`      a file bound to a ticket (`note_id` null) or a note: the download
                          route's one read. `internal` is the note's own flag, copied when the
                          file is bound: a note's visibility never changes after it is written.

The ticket and note items carry the files' public fields (`FileRef`) too, so a ticket view or
a notes list shows them without reading this table.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.models.base import UTCDateTime, table_meta

UPLOAD_KIND = "upload"
FILE_KIND = "file"


def upload_key(upload_id: str) -> str:
    return f"upload#{upload_id}"


def file_key(file_id: str) -> str:
    return f"file#{file_id}"


class FileRef(MapAttribute):
    """A file as a ticket or note lists it (the API's `{id, filename, content_type, size}`)."""

    id = UnicodeAttribute()
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()


class AttachmentModel(Model):
    Meta = table_meta("attachments")
    Meta.ttl_attribute = "expires_ttl"

    id = UnicodeAttribute(hash_key=True)  # upload#<upload id> | file#<file id>
    kind = UnicodeAttribute()  # upload | file
    owner = UnicodeAttribute()  # who uploaded it: "client:<id>" | "agent:<username>"
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    object_key = UnicodeAttribute()  # S3 key: uploads/<caller>/<upload id> | tickets/<number>/<file id>
    created_at = UTCDateTime()

    # upload
    bound_file_id = UnicodeAttribute(null=True)
    expires_ttl = NumberAttribute(null=True)  # DynamoDB TTL (uploads only: files stay)

    # file
    ticket_number = NumberAttribute(null=True)
    note_id = UnicodeAttribute(null=True)
    internal = BooleanAttribute(null=True)
