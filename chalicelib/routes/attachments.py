"""Attachments (product.md §7): uploads for clients and agents, and file downloads. No file
byte passes through here: uploads go to S3 with a presigned POST, downloads are a 302 to a
presigned GET. Attaching is part of ticket and note creation (routes/*_tickets.py)."""

from __future__ import annotations

from chalice import Response

from chalicelib.identity import Caller
from chalicelib.routes.api import Call, RouteGroup
from chalicelib.services import attachments

routes = RouteGroup(__name__, auth="portal", tag="attachments")


def _upload(call: Call, caller: Caller) -> dict:
    body = call.body
    return attachments.create_upload(caller, body.filename, body.content_type, body.size)


def _download(call: Call, number: str, file_id: str, caller: Caller) -> Response | dict:
    link = attachments.download_link(attachments.file_visible_to(number, file_id, caller))
    if not call.query.redirect:
        return link
    return Response(body="", status_code=302, headers={"Location": link["url"]})


UPLOAD_SUMMARY = ("Ask to upload a file: answers a presigned S3 POST (url, fields) holding S3 to the declared "
                  "size and type; then name upload_id in `attachments` when creating a ticket or note")
DOWNLOAD_SUMMARY = ("Download a file of the ticket: 302 to a short-lived presigned S3 GET (as an attachment, "
                    "with its stored type); ?redirect=false answers {url, expires_at}")


@routes.route("/portal/uploads", "POST", status=201, summary=UPLOAD_SUMMARY, body="attachments.UploadCreate",
              response="attachments.Upload", idempotent=True)
def portal_upload(call: Call) -> dict:
    return _upload(call, call.client)


@routes.route("/agent/uploads", "POST", status=201, auth="agent", summary=UPLOAD_SUMMARY,
              body="attachments.UploadCreate", response="attachments.Upload", idempotent=True)
def agent_upload(call: Call) -> dict:
    return _upload(call, call.agent)


@routes.route("/portal/tickets/{number}/attachments/{file_id}", "GET", summary=DOWNLOAD_SUMMARY,
              query="attachments.DownloadQuery", response="attachments.DownloadLink", errors=(404,))
def portal_download(call: Call, number: str, file_id: str) -> Response | dict:
    return _download(call, number, file_id, call.client)


@routes.route("/agent/tickets/{number}/attachments/{file_id}", "GET", auth="agent", summary=DOWNLOAD_SUMMARY,
              query="attachments.DownloadQuery", response="attachments.DownloadLink", errors=(404,))
def agent_download(call: Call, number: str, file_id: str) -> Response | dict:
    return _download(call, number, file_id, call.agent)
