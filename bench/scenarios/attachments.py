"""Attachments: uploads (a presigned POST, no file byte through Lambda) and downloads (a 302
to a presigned GET). The files are really posted to the AWS stand-in in the setup."""

from __future__ import annotations

from typing import Any

from bench.scenarios import Request, scenario
from bench.scenarios.tickets import open_ticket
from bench.stage import Stage

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56
UPLOAD = {"filename": "screen.png", "content_type": "image/png", "size": len(PNG)}


def uploaded(stage: Stage, token: str, prefix: str = "/portal") -> str:
    """An upload of `token`'s caller, with its file posted to S3 through the presigned form."""
    import requests

    answer = stage.expect(stage.api.post(f"{prefix}/uploads", UPLOAD, token=token), 201, "ask for an upload")
    sent = requests.post(answer["url"], data=answer["fields"], files={"file": ("screen.png", PNG, "image/png")},
                         timeout=10)
    if sent.status_code not in (200, 201, 204):
        raise RuntimeError(f"presigned POST answered {sent.status_code}")
    return answer["upload_id"]


def ticket_with_file(stage: Stage) -> dict[str, Any]:
    bearer = stage.shared_client[1]
    return open_ticket(stage, bearer, attachments=[uploaded(stage, bearer)])


@scenario("POST", "/portal/uploads")
def portal_upload(stage: Stage) -> Request:
    return Request("POST", "/portal/uploads", token=stage.shared_client[1], json=UPLOAD, expect=201,
                   note="session read + the upload item")


@scenario("POST", "/agent/uploads")
def agent_upload(stage: Stage) -> Request:
    return Request("POST", "/agent/uploads", token=stage.agent, json=UPLOAD, expect=201,
                   note="settings (agents read them fresh) + the upload item")


@scenario("GET", "/portal/tickets/{number}/attachments/{file_id}")
def portal_download(stage: Stage) -> Request:
    ticket = ticket_with_file(stage)
    return Request("GET", f"/portal/tickets/{ticket['number']}/attachments/{ticket['attachments'][0]['id']}",
                   token=stage.shared_client[1], expect=302, note="session, ticket, file item; 302 to S3")


@scenario("GET", "/agent/tickets/{number}/attachments/{file_id}")
def agent_download(stage: Stage) -> Request:
    ticket = ticket_with_file(stage)
    return Request("GET", f"/agent/tickets/{ticket['number']}/attachments/{ticket['attachments'][0]['id']}",
                   token=stage.agent, expect=302, note="the file item; 302 to S3")
