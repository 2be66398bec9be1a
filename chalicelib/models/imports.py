"""The imports table: CSV import jobs (product.md §10) and their problems.

  - `<ULID>`             a job (kind = "import"): what to import (the CSV itself when sent
                         inline, else the upload's S3 key), its status and counts;
  - `<ULID>#problems#<n>` the job's problems, in chunks (a 10,000-row dry run may report
                         more than one item holds); the job counts its chunks, so reading
                         them is one BatchGetItem.
Jobs and chunks expire on their own (TTL) a while after they finish.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.models.base import UTCDateTime, table_meta

IMPORT_KIND = "import"
PROBLEMS_KIND = "import-problems"
RUNNING, DONE = "running", "done"


class ImportModel(Model):
    Meta = table_meta("imports")
    Meta.ttl_attribute = "expires_ttl"

    id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(null=True)
    import_kind = UnicodeAttribute(null=True)  # clients | assets
    status = UnicodeAttribute(null=True)
    dry_run = BooleanAttribute(null=True)
    send_invitations = BooleanAttribute(null=True)
    csv = UnicodeAttribute(null=True)  # inline CSV (at most 200 KB)
    upload_id = UnicodeAttribute(null=True)  # or the upload holding it (POST /agent/uploads) ...
    object_key = UnicodeAttribute(null=True)  # ... and its S3 key, read by the run
    created_by = UnicodeAttribute(null=True)
    rows = NumberAttribute(null=True)
    created = NumberAttribute(null=True)
    updated = NumberAttribute(null=True)
    skipped = NumberAttribute(null=True)
    problem_chunks = NumberAttribute(null=True)
    problems = UnicodeAttribute(null=True)  # a chunk: JSON list of {row, field, message}
    created_at = UTCDateTime(null=True)
    finished_at = UTCDateTime(null=True)
    expires_ttl = NumberAttribute(null=True)


def problems_chunk_id(import_id: str, n: int) -> str:
    return f"{import_id}#problems#{n}"
