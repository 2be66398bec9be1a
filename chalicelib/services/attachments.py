"""Attachments (product.md §7): every rule about files, in one place.

The bytes never pass through Lambda. A caller asks for an upload (`create_upload`: the name,
type and size are checked against the settings) and gets a presigned S3 POST whose policy
holds S3 to the same size and type; the browser posts the file to S3 under
`uploads/<caller>/<upload id>`. Ticket and note creation then name their uploads:
`prepare_binding` checks each (the caller's own, unbound, in S3 with the declared size and
type); `Binding.bind` copies it to `tickets/<number>/<file id>` (the lifecycle rule deletes
`uploads/` after a day; `tickets/` never expires) and adds the writes that bind it, once, to
the ticket's or note's TransactionPlan. Downloads are presigned GETs that force
`Content-Disposition: attachment` and the stored type, issued after visibility.file_visible
(the same decision as the ticket's and the note's). Nothing here ever deletes a bound file.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any
from urllib.parse import quote, urlsplit

from chalicelib import config
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.identity import ActingAgent, Caller
from chalicelib.ids import iso, new_id, utcnow
from chalicelib.models.attachments import (
    FILE_KIND,
    UPLOAD_KIND,
    AttachmentModel,
    FileRef,
    file_key,
    upload_key,
)
from chalicelib.models.base import get_of_kind
from chalicelib.services import visibility
from chalicelib.services.settings import get_settings
from chalicelib.services.ticket_reads import load_visible
from chalicelib.services.transaction_plan import ItemUpdate, TransactionPlan

UPLOAD_LINK_SECONDS = 600  # the presigned POST
DOWNLOAD_LINK_SECONDS = 300  # the presigned GET
UPLOAD_ITEM_DAYS = 2  # the S3 object goes after one day (lifecycle); its item a day later
MAX_FILENAME = 255
MB = 1024 * 1024

# Never accepted, whatever the settings say: types a browser renders as a document or runs
# (HTML, SVG, XML with its stylesheets, scripts, Flash), and the multipart/ message types.
_REFUSED_TYPES = frozenset({
    "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml", "text/xsl",
    "application/xslt+xml", "text/javascript", "application/javascript", "application/ecmascript",
    "text/ecmascript", "application/x-javascript", "application/x-shockwave-flash", "application/wasm",
    "text/vtt", "application/mathml+xml", "application/rdf+xml", "text/cache-manifest",
})
_REFUSED_PARTS = ("html", "script", "svg", "wasm")
_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")  # a ULID


def type_problem(content_type: str) -> str | None:
    """Why this MIME type may never be an attachment's, or None. Used by the settings too, so
    the allow-list cannot name a type a browser would run."""
    if not _MIME.match(content_type):
        return "not a MIME type (type/subtype, no parameters)"
    top = content_type.split("/", 1)[0]
    subtype = content_type.split("/", 1)[1]
    if (content_type in _REFUSED_TYPES or top == "multipart" or subtype == "xml" or subtype.endswith("+xml")
            or any(part in content_type for part in _REFUSED_PARTS)):
        return "a type browsers render or run is never allowed"
    return None


def _filename_problem(filename: str) -> str | None:
    if not filename or not filename.strip():
        return "a file name is required"
    if len(filename) > MAX_FILENAME:
        return f"at most {MAX_FILENAME} characters"
    if "/" in filename or "\\" in filename:
        return "a file name, not a path (no / or \\)"
    if _CONTROL.search(filename):
        return "no control characters"
    if filename.strip() in (".", ".."):
        return "not a file name"
    return None


@dataclass(frozen=True)
class Declared:
    filename: str
    content_type: str
    size: int


def validate(filename: str, content_type: str, size: int) -> Declared:
    """The declared file, or 400 naming every field that is refused."""
    settings = get_settings()
    content_type = (content_type or "").strip().lower()
    problems: dict[str, str] = {}
    if problem := _filename_problem(filename):
        problems["filename"] = problem
    if problem := type_problem(content_type):
        problems["content_type"] = problem
    elif content_type not in settings.upload_types:
        problems["content_type"] = "this type of file is not accepted"
    limit = settings.upload_max_mb * MB
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        problems["size"] = "at least 1 byte"
    elif size > limit:
        problems["size"] = f"at most {settings.upload_max_mb} MB"
    if problems:
        raise InvalidInput("This file cannot be attached.", fields=problems)
    return Declared(filename, content_type, size)


# --- S3 -----------------------------------------------------------------------------------

@cache
def _s3() -> Any:
    """S3 with addresses the page's CSP can name (see bucket_origin): the moto endpoint,
    path style, locally; `https://<bucket>.s3.<region>.amazonaws.com` in AWS."""
    import boto3  # lazy: cold start
    from botocore.config import Config  # lazy: cold start

    endpoint = config.aws_endpoint_url()
    s3_options = {"addressing_style": "path"} if endpoint else {"addressing_style": "virtual",
                                                                 "us_east_1_regional_endpoint": "regional"}
    return boto3.client("s3", region_name=config.aws_region(), endpoint_url=endpoint,
                        config=Config(signature_version="s3v4", s3=s3_options))


def reset() -> None:
    _s3.cache_clear()


def bucket_origin() -> str:
    """The origin browsers upload to and download from: what the portal page's CSP names."""
    endpoint = config.aws_endpoint_url()
    if endpoint:
        parts = urlsplit(endpoint)
        return f"{parts.scheme}://{parts.netloc}"
    return f"https://{config.attachments_bucket()}.s3.{config.aws_region()}.amazonaws.com"


def owner_ref(caller: Caller) -> str:
    """Who an upload belongs to, as stored: "agent:<username>" or "client:<id>" (the same
    form as a ticket's `created_by`)."""
    if isinstance(caller, ActingAgent):
        return f"agent:{caller.username}"
    return f"client:{caller.id}"


def _caller_prefix(owner: str) -> str:
    kind, _, ident = owner.partition(":")
    return f"{kind}-{quote(ident, safe='')}"


# --- uploading ----------------------------------------------------------------------------

def create_upload(caller: Caller, filename: str, content_type: str, size: int) -> dict[str, Any]:
    """Record an upload belonging to `caller` and answer the presigned POST the browser sends
    the file with. Its policy holds S3 to the declared size and type, so a bigger or
    different file is refused by S3, not only by the app."""
    declared = validate(filename, content_type, size)
    owner = owner_ref(caller)
    upload_id = new_id()
    now = utcnow()
    key = f"uploads/{_caller_prefix(owner)}/{upload_id}"
    post = _s3().generate_presigned_post(
        Bucket=config.attachments_bucket(), Key=key,
        Fields={"Content-Type": declared.content_type},
        Conditions=[{"Content-Type": declared.content_type},
                    ["content-length-range", declared.size, declared.size]],
        ExpiresIn=UPLOAD_LINK_SECONDS)
    AttachmentModel(upload_key(upload_id), kind=UPLOAD_KIND, owner=owner, filename=declared.filename,
                    content_type=declared.content_type, size=declared.size, object_key=key, created_at=now,
                    expires_ttl=int((now + timedelta(days=UPLOAD_ITEM_DAYS)).timestamp())).save()
    return {"upload_id": upload_id, "url": post["url"], "fields": post["fields"],
            "expires_at": iso(now + timedelta(seconds=UPLOAD_LINK_SECONDS))}


def policy_of(fields: dict[str, str]) -> dict[str, Any]:
    """The decoded policy of a presigned POST (tests read what S3 will enforce)."""
    return json.loads(base64.b64decode(fields["policy"]))


# --- binding ------------------------------------------------------------------------------

@dataclass
class Binding:
    """The files a new ticket or note takes, checked; `bind` copies them under
    `tickets/<number>/` and adds the writes that bind them to the ticket's or note's
    TransactionPlan."""

    owner: str
    uploads: list[AttachmentModel] = field(default_factory=list)
    files: list[AttachmentModel] = field(default_factory=list)
    contents: list[bytes] = field(default_factory=list)  # files that came in a mail: stored, not copied
    _copied_for: int | None = None

    def __bool__(self) -> bool:
        return bool(self.files)

    def refs(self) -> list[FileRef] | None:
        """What the ticket or note item carries (None without files: no empty attribute)."""
        if not self.files:
            return None
        return [FileRef(id=f.id.removeprefix("file#"), filename=f.filename, content_type=f.content_type,
                        size=int(f.size)) for f in self.files]

    def bind(self, plan: TransactionPlan, *, ticket_number: int, note_id: str | None = None,
             internal: bool = False) -> None:
        """Copy the files under the ticket (once, even when the caller retries its transaction),
        then add to `plan`: each upload bound once (a condition: still unbound, still the
        caller's) and its file item created. A failed condition fails the whole transaction:
        nothing is half bound. A copy whose transaction then fails is never referenced (it
        costs storage, nothing else). No file: nothing added, no S3 call."""
        number = int(ticket_number)
        sources = self.contents or self.uploads
        for source, item in zip(sources, self.files, strict=True):
            item.ticket_number = number
            item.object_key = f"tickets/{number}/{item.id.removeprefix('file#')}"
            if self._copied_for != number:
                if isinstance(source, bytes):
                    _put(item.object_key, source, item.content_type)
                else:
                    _copy(source.object_key, item.object_key)
            item.note_id = note_id
            item.internal = bool(internal)
            if not isinstance(source, bytes):
                plan.updates.append(ItemUpdate(
                    source, [AttachmentModel.bound_file_id.set(item.id.removeprefix("file#"))],
                    condition=AttachmentModel.bound_file_id.does_not_exist() & (AttachmentModel.owner == self.owner)))
            plan.creates.append(item)
        self._copied_for = number


def prepare_binding(owner: str, upload_ids: list[str] | None) -> Binding:
    """Check the uploads `owner` (`owner_ref`: "client:<id>" | "agent:<username>") names for a new ticket
    or note: the caller's own, unbound, in S3 with the declared size and type. One
    BatchGetItem, then a HEAD per file. Refused (400; 409 when already bound) before anything
    is written, so a refused request leaves no trace (not even a ticket number)."""
    binding = Binding(owner)
    ids = list(upload_ids or [])
    if not ids:
        return binding
    limit = get_settings().upload_max_files
    if len(ids) > limit:
        raise InvalidInput(f"At most {limit} files at once.", fields={"attachments": f"at most {limit} files"})
    if len(set(ids)) != len(ids):
        raise InvalidInput("The same upload is named twice.", fields={"attachments": "an upload named twice"})
    unknown = InvalidInput("An attachment is not one of your uploads.",
                           fields={"attachments": "unknown upload (upload the file first)"})
    if not all(isinstance(i, str) and _ID.match(i) for i in ids):
        raise unknown
    found = {item.id: item for item in AttachmentModel.batch_get([upload_key(i) for i in ids],
                                                                 consistent_read=True)}
    for upload_id in ids:
        upload = found.get(upload_key(upload_id))
        # Another caller's upload is "unknown" too: its existence is none of this caller's business.
        if upload is None or upload.kind != UPLOAD_KIND or upload.owner != owner:
            raise unknown
        if upload.bound_file_id:
            raise Conflict("This upload is already attached elsewhere; upload the file again.",
                           fields={"attachments": f"{upload_id} is already attached"})
        _check_object(upload_id, upload)
        binding.uploads.append(upload)
    now = utcnow()
    for upload in binding.uploads:
        binding.files.append(AttachmentModel(
            file_key(new_id()), kind=FILE_KIND, owner=owner, filename=upload.filename,
            content_type=upload.content_type, size=int(upload.size), object_key="", created_at=now))
    return binding


def mail_binding(owner: str, files: list[tuple[str, str, bytes]]) -> tuple[Binding, list[str]]:
    """The files of an inbound mail (filename, content type, bytes) that the upload rules
    accept (type, size, count: the settings, as for an upload), and what was skipped, as
    "<filename> (<why>)" for the note to list. Nothing is written until `bind`."""
    binding = Binding(owner)
    skipped: list[str] = []
    limit = get_settings().upload_max_files
    now = utcnow()
    for filename, content_type, content in files:
        try:
            declared = validate(filename, content_type, len(content))
        except InvalidInput as refused:
            skipped.append(f"{filename or 'unnamed'} ({'; '.join((refused.fields or {}).values()) or 'refused'})")
            continue
        if len(binding.files) >= limit:
            skipped.append(f"{declared.filename} (at most {limit} files)")
            continue
        binding.files.append(AttachmentModel(
            file_key(new_id()), kind=FILE_KIND, owner=owner, filename=declared.filename,
            content_type=declared.content_type, size=declared.size, object_key="", created_at=now))
        binding.contents.append(content)
    return binding, skipped


def _put(key: str, content: bytes, content_type: str) -> None:
    _s3().put_object(Bucket=config.attachments_bucket(), Key=key, Body=content, ContentType=content_type)


def _check_object(upload_id: str, upload: AttachmentModel, field_name: str = "attachments") -> None:
    """The object is in S3 as declared. S3 enforced the policy on the POST (the AWS stand-in
    does not); this also catches a file that never arrived, or one put some other way."""
    from botocore.exceptions import ClientError  # lazy: cold start

    try:
        head = _s3().head_object(Bucket=config.attachments_bucket(), Key=upload.object_key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            raise InvalidInput("A file was never uploaded (or its upload expired).",
                               fields={field_name: f"{upload_id} has no uploaded file"}) from None
        raise
    if int(head.get("ContentLength", -1)) != int(upload.size):
        raise InvalidInput("A file's size differs from the size declared for it.",
                           fields={field_name: f"{upload_id} is not the declared size"})
    stored_type = (head.get("ContentType") or "").split(";", 1)[0].strip().lower()
    if stored_type != upload.content_type:
        raise InvalidInput("A file's type differs from the type declared for it.",
                           fields={field_name: f"{upload_id} is not the declared type"})


# --- files the app reads itself (an import's CSV) ------------------------------------------

def readable_upload(caller: Caller, upload_id: str, *, types: frozenset[str], what: str,
                    field_name: str = "upload_id") -> AttachmentModel:
    """`caller`'s upload `upload_id` for the app to read (not to attach): theirs, of one of
    `types` (`what` names them in the refusal), within the upload size limit, and in S3 as
    declared (a HEAD, as for binding). 400 otherwise; another caller's upload is "unknown"
    too. One GetItem and one HEAD; the bytes are read later (`open_object`)."""
    unknown = InvalidInput("This is not one of your uploads.",
                           fields={field_name: "unknown upload (upload the file first: POST .../uploads)"})
    if not isinstance(upload_id, str) or not _ID.match(upload_id):
        raise unknown
    upload = get_of_kind(AttachmentModel, upload_key(upload_id), UPLOAD_KIND)
    if upload is None or upload.owner != owner_ref(caller):
        raise unknown
    if upload.content_type not in types:
        raise InvalidInput(f"This upload is not {what} (its type is {upload.content_type}).",
                           fields={field_name: f"not {what}"})
    limit_mb = get_settings().upload_max_mb
    if int(upload.size) > limit_mb * MB:
        raise InvalidInput(f"This upload is larger than the upload limit ({limit_mb} MB).",
                           fields={field_name: f"at most {limit_mb} MB"})
    _check_object(upload_id, upload, field_name)
    return upload


def max_upload_bytes() -> int:
    return get_settings().upload_max_mb * MB


def open_object(object_key: str) -> Any:
    """An uploaded object's body, to read as it arrives (`.read(n)`); InvalidInput when it is
    gone (the bucket's lifecycle deletes `uploads/` after a day)."""
    from botocore.exceptions import ClientError  # lazy: cold start

    try:
        return _s3().get_object(Bucket=config.attachments_bucket(), Key=object_key)["Body"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            raise InvalidInput("The uploaded file is gone (uploads are kept for a day); upload it again.",
                               fields={"upload_id": "the file is gone"}) from None
        raise


def _copy(source_key: str, target_key: str) -> None:
    bucket = config.attachments_bucket()
    _s3().copy_object(Bucket=bucket, Key=target_key, CopySource={"Bucket": bucket, "Key": source_key},
                      MetadataDirective="COPY")


# --- reading ------------------------------------------------------------------------------

def listed(refs: Any) -> list[dict[str, Any]]:
    """A ticket's or note's files as the API shows them."""
    return [{"id": r.id, "filename": r.filename, "content_type": r.content_type, "size": int(r.size)}
            for r in refs or []]


def names(refs: Any) -> list[str]:
    """The files' names, for mail (never links: a mail is forwarded, a link would leak)."""
    return [r.filename for r in refs or []]


def _file(number: int | str, file_id: str) -> AttachmentModel:
    if not isinstance(file_id, str) or not _ID.match(file_id):
        raise NotFound("File not found.")
    item = get_of_kind(AttachmentModel, file_key(file_id), FILE_KIND)
    if item is None or str(int(item.ticket_number or 0)) != str(number).strip():
        raise NotFound("File not found.")
    return item


def file_visible_to(number: int | str, file_id: str, caller: Caller) -> AttachmentModel:
    """File `file_id` of ticket `number`, if `caller` may see it (visibility.file_visible), else
    404. An agent sees every ticket, so for agents the file item is the one read; a client's
    download reads the ticket first, as its view does."""
    ticket = None if visibility.sees_internals(caller) else load_visible(number, caller)
    item = _file(number if ticket is None else int(ticket.number), file_id)
    if not visibility.file_visible(caller, item, ticket):
        raise NotFound("File not found.")
    return item


def download_link(item: AttachmentModel) -> dict[str, Any]:
    """A short-lived presigned GET that makes S3 answer with the stored type and as a
    download (`attachment`), never rendered inline by the browser."""
    encoded = quote(item.filename, safe="")
    expires = utcnow() + timedelta(seconds=DOWNLOAD_LINK_SECONDS)
    url = _s3().generate_presigned_url("get_object", ExpiresIn=DOWNLOAD_LINK_SECONDS, Params={
        "Bucket": config.attachments_bucket(), "Key": item.object_key,
        "ResponseContentDisposition": f"attachment; filename*=UTF-8''{encoded}",
        "ResponseContentType": item.content_type})
    return {"url": url, "expires_at": iso(expires)}

