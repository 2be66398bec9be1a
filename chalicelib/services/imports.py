"""CSV imports of clients and assets (product.md §10).

An import is a job. The request checks the file as a whole: an inline CSV is parsed
(services/csv_files.py: a bad file is its 400); an upload (POST /agent/uploads, the
attachments upload) is checked without reading it (the agent's own, a CSV type, within the
upload limit, in S3 as declared: attachments.readable_upload). It stores the job with the CSV
or the upload's key and starts `run` outside the request (deployed: the `run_import`
function, invoked asynchronously; locally and in tests: a thread), then answers 202. `run`
reads an upload as it arrives (at most 10,000 rows and the upload limit in bytes; a bad file
is the job's problem on row 0), checks every row, writes what changed and records counts and
problems.

Rows are keyed (clients by email, assets by organization + serial): a row whose key exists
updates what differs or is skipped when nothing does, so the same file twice creates nothing
twice and a corrected file changes only what was corrected. Reads are batched (BatchGetItem);
each row has one conditional write (a new row's guard, a changed row's update) and a new row's
items follow in batch writes (see `write`); a row refused is reported and leaves the others
written. A row with a problem writes nothing. A dry run does everything but write.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.models import Model

from chalicelib import aws
from chalicelib.config import get_config
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.identity import ActingAgent
from chalicelib.ids import iso, new_id, utcnow
from chalicelib.models.assets import ASSET_KIND, AssetModel, SerialGuardModel, serial_guard_id
from chalicelib.models.base import get_of_kind, is_plain_id
from chalicelib.models.imports import DONE, IMPORT_KIND, PROBLEMS_KIND, RUNNING, ImportModel, problems_chunk_id
from chalicelib.models.organizations import ORGANIZATION_KIND, OrganizationModel, name_guard_id
from chalicelib.models.users import CLIENT_KIND, CLIENT_USER, UserModel, email_guard_id
from chalicelib.observability import logger
from chalicelib.services import assets, attachments, client_directory, csv_files
from chalicelib.services.agent_auth import require_permission
from chalicelib.services.client_store import guard_item, new_client_item, portal_switch_action

PERMISSIONS = {"clients": "manage-clients", "assets": "manage-assets"}
CLIENT_COLUMNS = ("email", "name", "phone", "organization", "role")
ASSET_COLUMNS = ("organization", "name", "serial", "type", "status", "purchased_on", "warranty_until", "client",
                 "internal_notes")
ATTRIBUTE_PREFIX = "attribute:"
PROBLEMS_PER_CHUNK = 500  # a chunk item stays far below DynamoDB's 400 KB
KEEP_JOBS = timedelta(days=30)
# What browsers and Excel call a .csv file (Windows with Excel installed: the Excel type).
CSV_TYPES = frozenset({"text/csv", "application/csv", "application/vnd.ms-excel", "text/plain"})


@dataclass(frozen=True)
class Problem:
    row: int
    field: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class RowWrite:
    """What one row writes. A new row: its `guard` (the email's or serial's), written on
    condition that no other owner holds it, then, once won, its `items` in batches. A changed
    row: one conditional `update` (item, actions, condition) or a versioned `save`."""

    row: int
    guard: Model | None = None
    reclaim: str | None = None  # the owner named by a guard left without its item (a crash): ours again
    items: list[Model] = field(default_factory=list)
    update: tuple[Model, list[Any], Any] | None = None
    save: Model | None = None
    terms: client_directory.TermChange | None = None  # a renamed client's directory items, after `update`

    @property
    def created(self) -> bool:
        return self.guard is not None


@dataclass
class Outcome:
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)
    writes: list[RowWrite] = field(default_factory=list)

    def problem(self, row: int, field_name: str | None, message: str) -> None:
        self.problems.append(Problem(row, field_name, message))


# --- the request: check the file, store the job, start it ----------------------------------

def _columns(kind: str) -> dict[str, Any]:
    if kind == "clients":
        return {"known_columns": CLIENT_COLUMNS, "required": ("email",)}
    return {"known_columns": ASSET_COLUMNS, "required": ("organization", "name", "serial"),
            "column_prefixes": (ATTRIBUTE_PREFIX,)}


def start(agent: ActingAgent, *, kind: str, csv: str | None, upload_id: str | None, dry_run: bool,
          send_invitations: bool) -> ImportModel:
    """Check the file, store the job and start it: 403 without the kind's permission, 400 for an
    inline file that is not a CSV of this kind (csv_files.parse) or an upload that is not the
    agent's own CSV within the upload limit (attachments.readable_upload)."""
    require_permission(agent, PERMISSIONS[kind])
    if upload_id is not None and csv is not None:
        raise InvalidInput("Send the CSV in `csv` or name its upload in `upload_id`, not both.",
                           fields={"csv": "one of csv and upload_id", "upload_id": "one of csv and upload_id"})
    now = utcnow()
    job = ImportModel(new_id(), kind=IMPORT_KIND, import_kind=kind, status=RUNNING, dry_run=dry_run,
                      send_invitations=send_invitations and kind == "clients", created_by=f"agent:{agent.username}",
                      rows=0, created=0, updated=0, skipped=0, problem_chunks=0, created_at=now,
                      expires_ttl=int((now + KEEP_JOBS).timestamp()))
    if upload_id is not None:
        upload = attachments.readable_upload(agent, upload_id, types=CSV_TYPES, what="a CSV file")
        job.upload_id, job.object_key = upload_id, upload.object_key  # rows: counted by the run
    elif not csv:
        raise InvalidInput("Send the CSV in `csv`, or name its upload in `upload_id`.", fields={"csv": "required"})
    else:
        job.csv = csv
        job.rows = len(csv_files.parse(csv, **_columns(kind)).rows)
    job.save(condition=ImportModel.id.does_not_exist())
    dispatch(job.id)
    return job


# The local stand-in for the asynchronous invocation runs in a thread of this name: the bench
# counts it outside the request, as Lambda's separate invocation is.
JOB_THREAD_PREFIX = "import-job-"


def dispatch(import_id: str) -> None:
    """Run the job outside this request: the `run_import` function when deployed (an
    asynchronous invocation, retried by Lambda), a thread locally and in tests."""
    function = get_config().import_function
    if function:
        aws.client("lambda").invoke(FunctionName=function, InvocationType="Event",
                                    Payload=json.dumps({"import_id": import_id}).encode())
        return
    threading.Thread(target=run, args=(import_id,), name=f"{JOB_THREAD_PREFIX}{import_id}", daemon=True).start()


def load(import_id: str) -> ImportModel:
    if not is_plain_id(import_id):
        raise NotFound("Import not found.")
    job = get_of_kind(ImportModel, import_id, IMPORT_KIND)
    if job is None:
        raise NotFound("Import not found.")
    return job


def status_view(job: ImportModel) -> dict[str, Any]:
    """The job's answer: its counts and, once done, every problem (one BatchGetItem)."""
    problems: list[dict[str, Any]] = []
    chunks = int(job.problem_chunks or 0)
    if job.status == DONE and chunks:
        found = {item.id: item for item in ImportModel.batch_get([problems_chunk_id(job.id, n) for n in range(chunks)])}
        for n in range(chunks):
            chunk = found.get(problems_chunk_id(job.id, n))
            problems += json.loads(chunk.problems) if chunk and chunk.problems else []
    return {"id": job.id, "kind": job.import_kind, "status": job.status, "dry_run": bool(job.dry_run),
            "send_invitations": bool(job.send_invitations), "rows": int(job.rows or 0),
            "created": int(job.created or 0), "updated": int(job.updated or 0), "skipped": int(job.skipped or 0),
            "problems": problems, "created_at": iso(job.created_at), "finished_at": iso(job.finished_at)}


# --- the job --------------------------------------------------------------------------------

def run(import_id: str) -> dict[str, Any]:
    """Run a stored job to the end and record its outcome. Safe to run again (Lambda retries
    an asynchronous invocation that failed): rows are keyed, a finished job is left alone."""
    job = get_of_kind(ImportModel, import_id, IMPORT_KIND)
    if job is None or job.status == DONE:
        return {"import_id": import_id, "status": job.status if job else "missing"}
    try:
        outcome = execute(job)
    except InvalidInput as error:  # an upload's content (read only here), or a file gone since
        outcome = _stopped(job, error.message)
    except Exception:  # a job never stays "running": it says it stopped, and how to go on
        logger().exception("import failed", extra={"import_id": import_id})
        outcome = _stopped(job, "The import stopped on an internal error; run it again (rows already "
                                "written are not written twice).")
    _finish(job, outcome)
    return {"import_id": import_id, "status": DONE, "created": outcome.created, "updated": outcome.updated}


def _stopped(job: ImportModel, message: str) -> Outcome:
    outcome = Outcome(rows=int(job.rows or 0), skipped=int(job.rows or 0))
    outcome.problem(0, None, message)
    return outcome


def execute(job: ImportModel) -> Outcome:
    kind = job.import_kind or "clients"
    if job.object_key:
        parsed = csv_files.parse_stream(attachments.open_object(job.object_key), attachments.max_upload_bytes(),
                                        **_columns(kind))
    else:
        parsed = csv_files.parse(job.csv or "", **_columns(kind))
    if kind == "clients":
        outcome = plan_clients(parsed, send_invitations=bool(job.send_invitations), invited_by=job.created_by)
    else:
        outcome = plan_assets(parsed)
    if not job.dry_run:
        write(outcome)
    outcome.skipped = outcome.rows - outcome.created - outcome.updated
    outcome.problems.sort(key=lambda problem: problem.row)
    return outcome


def _finish(job: ImportModel, outcome: Outcome) -> None:
    problems = [problem.as_dict() for problem in outcome.problems]
    chunks = [problems[start:start + PROBLEMS_PER_CHUNK] for start in range(0, len(problems), PROBLEMS_PER_CHUNK)]
    with ImportModel.batch_write() as batch:
        for n, chunk in enumerate(chunks):
            batch.save(ImportModel(problems_chunk_id(job.id, n), kind=PROBLEMS_KIND, problems=json.dumps(chunk),
                                   expires_ttl=job.expires_ttl))
    # The job says done only once its problems are stored.
    job.update(actions=[ImportModel.status.set(DONE), ImportModel.rows.set(outcome.rows),
                        ImportModel.created.set(outcome.created),
                        ImportModel.updated.set(outcome.updated), ImportModel.skipped.set(outcome.skipped),
                        ImportModel.problem_chunks.set(len(chunks)), ImportModel.finished_at.set(utcnow()),
                        ImportModel.csv.remove()])


# --- checking rows ------------------------------------------------------------------------------

def _validated(row: csv_files.CsvRow, model: type, data: dict[str, Any], outcome: Outcome) -> Any:
    """The row as `model` checks it, or None with its problems recorded."""
    from pydantic import ValidationError  # lazy: cold start

    if row.extra:
        outcome.problem(row.number, None, f"The row has {row.extra} more cells than the header has columns.")
        return None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        for problem in error.errors():
            location = problem.get("loc") or ("row",)
            name = str(location[0])
            if name == "attributes":
                name = f"{ATTRIBUTE_PREFIX}{location[1]}" if len(location) > 1 else f"{ATTRIBUTE_PREFIX}*"
            # A pattern's text means nothing to whoever fills in a spreadsheet.
            message = (f"not a valid {name.replace('_', ' ')}" if problem.get("type") == "string_pattern_mismatch"
                       else problem.get("msg", "not valid"))
            outcome.problem(row.number, name, message)
        return None


def _cells(row: csv_files.CsvRow, columns: Iterable[str]) -> dict[str, Any]:
    """The row's cells for these columns, empty ones as None (the file's columns only)."""
    return {name: (row.values.get(name) or None) for name in columns if name in row.values}


def _first_seen(key: str, row: int, seen: dict[str, int], outcome: Outcome, field_name: str, what: str) -> bool:
    if key in seen:
        outcome.problem(row, field_name, f"The same {what} as row {seen[key]}: each appears once in a file.")
        return False
    seen[key] = row
    return True


def resolve_organizations(refs: Iterable[str]) -> dict[str, OrganizationModel]:
    """{reference: organization} for references that name one, by id or (any case) by name: one
    BatchGet of ids and name guards, and one more of the organizations named only by a guard.
    The items carry what a client joining copies (the portal switch, `portal_enabled`)."""
    refs = {ref for ref in refs if ref}
    keys = {ref for ref in refs if "#" not in ref} | {name_guard_id(ref) for ref in refs}
    found = {item.id: item for item in OrganizationModel.batch_get(sorted(keys))} if keys else {}
    owners = {guard.owner_id for guard in found.values() if guard.owner_id} - found.keys()
    if owners:
        found.update({item.id: item for item in OrganizationModel.batch_get(sorted(owners))})
    resolved = {}
    for ref in refs:
        by_id = found.get(ref)
        if by_id is not None and by_id.kind == ORGANIZATION_KIND:
            resolved[ref] = by_id
        elif (guard := found.get(name_guard_id(ref))) is not None and guard.owner_id:
            owner = found.get(guard.owner_id)
            if owner is not None and owner.kind == ORGANIZATION_KIND:
                resolved[ref] = owner
    return resolved


def clients_by_email(emails: Iterable[str]) -> tuple[dict[str, UserModel], dict[str, str]]:
    """({lower email: client} for the emails some client owns, {lower email: owner id} for
    guards whose client does not exist): their guards, then the clients."""
    guard_keys = sorted({email_guard_id(email) for email in emails if email})
    owners = {guard.id: guard.owner_id for guard in UserModel.batch_get(guard_keys) if guard.owner_id}
    clients = {item.id: item for item in UserModel.batch_get(sorted(set(owners.values())))
               if item.kind == CLIENT_KIND} if owners else {}
    found = {guard_id.removeprefix("email#"): clients[owner] for guard_id, owner in owners.items() if owner in clients}
    orphans = {guard_id.removeprefix("email#"): owner for guard_id, owner in owners.items() if owner not in clients}
    return found, orphans


def plan_clients(parsed: csv_files.CsvFile, *, send_invitations: bool, invited_by: str | None) -> Outcome:
    from chalicelib.schemas.imports import ClientRow  # lazy: cold start
    from chalicelib.services.invitations import prepare_invitation  # lazy: only imports invite

    outcome = Outcome(rows=len(parsed.rows))
    checked: list[tuple[csv_files.CsvRow, Any]] = []
    seen: dict[str, int] = {}
    for row in parsed.rows:
        data = _validated(row, ClientRow, _cells(row, CLIENT_COLUMNS), outcome)
        if data is not None and _first_seen(data.email.lower(), row.number, seen, outcome, "email", "email"):
            checked.append((row, data))
    organizations = resolve_organizations(data.organization for _, data in checked if data.organization)
    existing, orphans = clients_by_email(data.email for _, data in checked)
    now = utcnow()
    for row, data in checked:
        organization = organizations.get(data.organization) if data.organization else None
        organization_id = organization.id if organization else None
        if data.organization and organization_id is None:
            outcome.problem(row.number, "organization", f"No organization is named {data.organization!r}.")
            continue
        # A column the file has sets its value (an empty cell clears it); one it lacks is left alone.
        wanted: dict[str, Any] = {name: getattr(data, name) for name in ("name", "phone") if name in row.values}
        if "organization" in row.values:
            wanted["organization_id"] = organization_id
        # sessions.authenticate reads the organization's portal switch on the client's item.
        portal_off = bool(organization and organization.portal_enabled is False)
        if data.role:
            wanted["role"] = data.role
        current = existing.get(data.email.lower())
        if current is None:
            item = new_client_item(data.email, name=data.name, phone=data.phone, organization_id=organization_id,
                                   role=data.role or CLIENT_USER, now=now, portal_off=portal_off)
            reclaim = orphans.get(data.email.lower())
            item.id = reclaim or item.id
            terms = client_directory.index_new(item)  # keyed by the id: after a reclaim
            extra = prepare_invitation(item, now, invited_by=invited_by) if send_invitations else []
            outcome.writes.append(RowWrite(row.number, guard=guard_item(item), reclaim=reclaim,
                                           items=[item, *terms, *extra]))
            outcome.created += 1
            continue
        changes = {name: value for name, value in wanted.items() if getattr(current, name) != value}
        if not changes:
            continue
        actions = [getattr(UserModel, name).set(value) if value else getattr(UserModel, name).remove()
                   for name, value in changes.items()]
        if "organization_id" in changes:
            actions.append(portal_switch_action(portal_off))
        terms_change = None
        if "name" in changes:
            terms_change = client_directory.term_change(current, name=changes["name"], email=current.email)
            actions.append(terms_change.action)
        actions.append(UserModel.updated_at.set(now))
        outcome.writes.append(RowWrite(row.number, update=(current, actions, UserModel.kind == CLIENT_KIND),
                                       terms=terms_change))
        outcome.updated += 1
    return outcome


def _attribute_cells(row: csv_files.CsvRow) -> dict[str, str] | None:
    """The row's attribute:<name> cells that hold a value; None when the file has no such column."""
    columns = [name for name in row.values if name.startswith(ATTRIBUTE_PREFIX)]
    if not columns:
        return None
    return {name.removeprefix(ATTRIBUTE_PREFIX): row.values[name] for name in columns if row.values[name]}


def plan_assets(parsed: csv_files.CsvFile) -> Outcome:
    from chalicelib.schemas.imports import AssetRow  # lazy: cold start

    outcome = Outcome(rows=len(parsed.rows))
    checked: list[tuple[csv_files.CsvRow, Any]] = []
    for row in parsed.rows:
        cells = _cells(row, ASSET_COLUMNS)
        attributes = _attribute_cells(row)
        if attributes is not None:
            cells["attributes"] = attributes
        data = _validated(row, AssetRow, cells, outcome)
        if data is not None:
            checked.append((row, data))
    resolved = resolve_organizations(data.organization for _, data in checked)
    organizations = {ref: item.id for ref, item in resolved.items()}
    clients, _ = clients_by_email(data.client for _, data in checked if data.client)
    keyed: list[tuple[csv_files.CsvRow, Any, str]] = []
    seen: dict[str, int] = {}
    for row, data in checked:
        organization_id = organizations.get(data.organization)
        if organization_id is None:
            outcome.problem(row.number, "organization", f"No organization is named {data.organization!r}.")
        elif _first_seen(serial_guard_id(organization_id, data.serial), row.number, seen, outcome, "serial",
                         "organization and serial"):
            keyed.append((row, data, organization_id))
    existing, orphans = assets_by_serial(serial_guard_id(org, data.serial) for _, data, org in keyed)
    now = utcnow()
    for row, data, organization_id in keyed:
        client = clients.get(data.client.lower()) if data.client else None
        if data.client and client is None:
            outcome.problem(row.number, "client", f"No client has the email {data.client!r}.")
            continue
        if client is not None and client.organization_id != organization_id:
            outcome.problem(row.number, "client", "The client belongs to another organization.")
            continue
        wanted: dict[str, Any] = {"organization_id": organization_id, "name": data.name, "serial": data.serial}
        if data.status:  # an empty status leaves it (a new asset is in use)
            wanted["status"] = data.status
        for name in ("type", "purchased_on", "warranty_until", "internal_notes"):
            if name in row.values:
                value = getattr(data, name)
                wanted[name] = value.isoformat() if isinstance(value, date) else value
        if "client" in row.values:
            wanted["client_id"] = client.id if client else None
        if data.attributes is not None:
            wanted["attributes"] = data.attributes or None
        current = existing.get(serial_guard_id(organization_id, data.serial))
        if current is None:
            item = assets.new_item(wanted, now)
            reclaim = orphans.get(serial_guard_id(organization_id, data.serial))
            item.id = item.asset_key = reclaim or item.id
            item.version = 1  # as if saved by itself (batch writes do not count versions)
            outcome.writes.append(RowWrite(row.number, guard=assets.guard(item), reclaim=reclaim, items=[item]))
            outcome.created += 1
            continue
        changes = {name: value for name, value in wanted.items() if assets.current(current, name) != value}
        if not changes:
            continue
        for name, value in changes.items():
            setattr(current, name, value)
        current.updated_at = now
        outcome.writes.append(RowWrite(row.number, save=current))
        outcome.updated += 1
    return outcome


def assets_by_serial(guard_ids: Iterable[str]) -> tuple[dict[str, AssetModel], dict[str, str]]:
    """({serial guard id: asset} for the organization + serial pairs an asset has, {serial
    guard id: owner id} for guards whose asset does not exist)."""
    keys = sorted(set(guard_ids))
    owners = {guard.id: guard.owner_id for guard in SerialGuardModel.batch_get(keys) if guard.owner_id} if keys else {}
    found = {item.id: item for item in AssetModel.batch_get(sorted(set(owners.values())))
             if item.kind == ASSET_KIND} if owners else {}
    return ({guard_id: found[owner] for guard_id, owner in owners.items() if owner in found},
            {guard_id: owner for guard_id, owner in owners.items() if owner not in found})


# --- writing ------------------------------------------------------------------------------------
# Not one transaction per batch of rows: DynamoDB's TransactWriteItems costs twice the writes,
# and the AWS stand-in copies the table for each item of a transaction (minutes for 10,000
# rows). A new row is safe without one: its guard is written first, on condition, so two
# writers of one email or serial cannot both win; what follows it (the client or asset, a
# token, the invitation) is written in batches. A run that stops between the two leaves a
# guard whose owner does not exist: the next run takes it back (`reclaim`) with that owner id.

WRITERS = 8  # conditional writes in flight at once


def write(outcome: Outcome) -> None:
    """Write every row: guards and updates one conditional call each (several in flight), then
    the new rows' items in batches. A row refused is a problem, counted neither created nor
    updated; the others stand."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        accepted = list(pool.map(_write_key, outcome.writes))
    winners = []
    for row_write, ok in zip(outcome.writes, accepted, strict=True):
        if ok and row_write.created:
            winners.append(row_write)
        elif not ok and row_write.created:
            outcome.created -= 1
            outcome.problem(row_write.row, None, "Not written: the same key was created meanwhile.")
        elif not ok:
            outcome.updated -= 1
            outcome.problem(row_write.row, None, "Not written: it changed or was removed meanwhile; run the "
                                                 "import again.")
    by_model: dict[type, list[Model]] = {}
    for row_write in winners:
        for item in row_write.items:
            by_model.setdefault(type(item), []).append(item)
    for model, items in by_model.items():
        with model.batch_write() as batch:
            for item in items:
                batch.save(item)
    renamed = [row_write.terms for row_write, ok in zip(outcome.writes, accepted, strict=True)
               if ok and row_write.terms is not None]
    if renamed:
        # As client_directory.TermChange.write, for every renamed client in one batch.
        with UserModel.batch_write() as batch:
            for change in renamed:
                change.add_to(batch)


def _write_key(row_write: RowWrite) -> bool:
    """The row's one conditional write: its guard, or its update."""
    try:
        if row_write.guard is not None:
            model = type(row_write.guard)
            condition = model.id.does_not_exist()
            if row_write.reclaim:
                condition = condition | (model.owner_id == row_write.reclaim)
            row_write.guard.save(condition=condition)
        elif row_write.update is not None:
            item, actions, condition = row_write.update
            item.update(actions=actions, condition=condition)
        elif row_write.save is not None:
            row_write.save.save()  # versioned: refused if it changed since it was read
    except (PutError, UpdateError):
        return False
    return True
