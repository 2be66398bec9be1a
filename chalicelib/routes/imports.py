"""Agent API: CSV imports of clients and assets (product.md §10). Starting one needs the
kind's permission (manage-clients, manage-assets); any agent reads a job."""

from __future__ import annotations

from chalicelib.routes.api import Call, RouteGroup
from chalicelib.services import imports as service

routes = RouteGroup(__name__, auth="agent", tag="imports")


@routes.route("/agent/imports", "POST", status=202, summary="Start a CSV import (a job: poll GET "
              "/agent/imports/{import_id})", body="imports.ImportCreate", response="imports.ImportStarted",
              errors=(403,), idempotent=True)
def start_import(call: Call) -> dict:
    body = call.body
    job = service.start(call.agent, kind=body.kind, csv=body.csv, upload_id=body.upload_id, dry_run=body.dry_run,
                        send_invitations=body.send_invitations)
    return {"id": job.id, "status": job.status}


@routes.route("/agent/imports/{import_id}", "GET", summary="An import's status, counts and per-row problems",
              response="imports.ImportStatus", errors=(404,))
def get_import(call: Call, import_id: str) -> dict:
    return service.status_view(service.load(import_id))
