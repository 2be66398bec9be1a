"""The notes table: a ticket's conversation, in time order (ULID range key)."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, ListAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.models.attachments import FileRef
from chalicelib.models.base import UTCDateTime, table_meta


class NoteModel(Model):
    Meta = table_meta("notes")

    ticket_id = UnicodeAttribute(hash_key=True)  # the ticket's number, as text
    id = UnicodeAttribute(range_key=True)  # ULID: sorts by creation time
    author_kind = UnicodeAttribute()  # client | agent
    author_id = UnicodeAttribute()
    author_name = UnicodeAttribute(null=True)
    body = UnicodeAttribute()
    internal = BooleanAttribute(default=False)
    notify_contact = BooleanAttribute(null=True)
    notify_assignees = BooleanAttribute(null=True)
    created_at = UTCDateTime()
    attachments = ListAttribute(of=FileRef, null=True)  # files bound to it (models/attachments.py)
