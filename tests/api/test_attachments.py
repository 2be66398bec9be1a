"""Attachments (product.md §7) on the AWS stand-in: uploads with a real presigned POST to
moto, binding to tickets and notes, downloads, visibility, and every bad input."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests

from chalicelib.config import attachments_bucket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56


def s3():
    from chalicelib import aws

    return aws.client("s3")


def upload(api, token, filename="screen.png", content=PNG, content_type="image/png", *, agent=False,
           send=True) -> str:
    """Ask for an upload and POST the file to S3 with the presigned form, as the page does."""
    prefix = "/agent" if agent else "/portal"
    answer = api.post(f"{prefix}/uploads", {"filename": filename, "content_type": content_type,
                                            "size": len(content)}, token=token)
    assert answer.status == 201, answer.json
    if send:
        sent = requests.post(answer.json["url"], data=answer.json["fields"],
                             files={"file": (filename, content, content_type)}, timeout=10)
        assert sent.status_code in (200, 201, 204), sent.text
    return answer.json["upload_id"]


def object_bytes(key: str) -> bytes:
    return s3().get_object(Bucket=attachments_bucket(), Key=key)["Body"].read()


def keys(prefix: str) -> list[str]:
    listed = s3().list_objects_v2(Bucket=attachments_bucket(), Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


def uploads_recorded() -> int:
    from chalicelib.models.attachments import AttachmentModel

    return sum(1 for i in AttachmentModel.scan() if i.kind == "upload")  # tests may scan


def file_items() -> list:
    from chalicelib.models.attachments import AttachmentModel

    return [i for i in AttachmentModel.scan() if i.kind == "file"]  # tests may scan


# --- uploading ------------------------------------------------------------------------------

def test_an_upload_answers_a_presigned_post_whose_policy_holds_s3_to_the_declared_size_and_type(helpdesk):
    from chalicelib.services.attachments import policy_of

    answer = helpdesk.api.post("/portal/uploads", {"filename": "log.txt", "content_type": "text/plain",
                                                   "size": 1234}, token=helpdesk.requester)
    assert answer.status == 201, answer.json
    body = answer.json
    assert set(body) == {"upload_id", "url", "fields", "expires_at"}
    assert body["url"].startswith(os.environ["PORTICO_AWS_ENDPOINT_URL"])
    key = body["fields"]["key"]
    # The key names the caller and the upload, never the file name.
    assert key == f"uploads/client-{helpdesk.requester_id}/{body['upload_id']}" and "log.txt" not in key
    policy = policy_of(body["fields"])
    conditions = policy["conditions"]
    assert ["content-length-range", 1234, 1234] in conditions
    assert {"Content-Type": "text/plain"} in conditions
    assert {"key": key} in conditions and {"bucket": attachments_bucket()} in conditions
    assert body["fields"]["Content-Type"] == "text/plain"
    expiry = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    promised = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert abs((expiry - promised).total_seconds()) <= 5
    assert timedelta(minutes=9) < promised - datetime.now(UTC) <= timedelta(minutes=10)


def test_an_agent_uploads_too_under_their_own_prefix(helpdesk):
    from tests.api.tickets_fixtures import username_of

    upload_id = upload(helpdesk.api, helpdesk.agent, agent=True)
    assert keys("uploads/") == [f"uploads/agent-{username_of(helpdesk.agent)}/{upload_id}"]


BAD_FILENAMES = ["../etc/passwd", "dir/file.txt", "C:\\temp\\a.txt", "a\x00b.txt", "line\nbreak.txt",
                 "tab\t.txt", "x" * 256, "x" * 300, "", "  ", "..", "a\u202egnp.exe"]
BAD_SIZES = [0, -1, 10 * 1024**3, 10 * 1024 * 1024 + 1, 1.5, "10", None, True]


def test_file_names_with_paths_control_characters_or_too_long_are_refused(helpdesk):
    for filename in BAD_FILENAMES:
        answer = helpdesk.api.post("/portal/uploads", {"filename": filename, "content_type": "text/plain",
                                                       "size": 10}, token=helpdesk.requester)
        assert answer.status == 400 and answer.code == "validation_error", (filename, answer.json)
        assert list(answer.json["fields"]) == ["filename"], filename
    ok = helpdesk.api.post("/portal/uploads", {"filename": "x" * 251 + ".txt", "content_type": "text/plain",
                                               "size": 10}, token=helpdesk.requester)
    assert ok.status == 201


def test_sizes_outside_one_byte_to_the_limit_or_not_whole_numbers_are_refused(helpdesk):
    for size in BAD_SIZES:
        answer = helpdesk.api.post("/portal/uploads", {"filename": "a.pdf", "content_type": "application/pdf",
                                                       "size": size}, token=helpdesk.requester)
        assert answer.status == 400 and list(answer.json["fields"]) == ["size"], (size, answer.json)
    assert uploads_recorded() == 0


def test_the_size_limit_is_the_setting(helpdesk):
    helpdesk.set_settings(upload_max_mb=1)
    ok = helpdesk.api.post("/portal/uploads", {"filename": "a.pdf", "content_type": "application/pdf",
                                               "size": 1024 * 1024}, token=helpdesk.requester)
    over = helpdesk.api.post("/portal/uploads", {"filename": "a.pdf", "content_type": "application/pdf",
                                                 "size": 1024 * 1024 + 1}, token=helpdesk.requester)
    assert ok.status == 201 and over.status == 400 and over.json["fields"]["size"] == "at most 1 MB"


def test_types_not_allowed_are_refused(helpdesk):
    for content_type in ("text/html", "TEXT/HTML", "image/svg+xml", "application/xhtml+xml", "text/javascript",
                         "application/x-msdownload", "text/plain; charset=x", "nonsense", ""):
        answer = helpdesk.api.post("/portal/uploads", {"filename": "a.bin", "content_type": content_type,
                                                       "size": 10}, token=helpdesk.requester)
        assert answer.status == 400 and list(answer.json["fields"]) == ["content_type"], (content_type, answer.json)
    for agent_too in ("text/html", "image/svg+xml"):
        answer = helpdesk.api.post("/agent/uploads", {"filename": "a", "content_type": agent_too, "size": 10},
                                   token=helpdesk.agent)
        assert answer.status == 400
    assert uploads_recorded() == 0


def test_agents_cannot_allow_a_type_a_browser_runs(helpdesk):
    for dangerous in (["text/html"], ["image/svg+xml"], ["application/javascript"], ["text/xml"],
                      ["image/png", "application/vnd.foo+xml"]):
        answer = helpdesk.api.patch("/agent/settings", {"upload_types": dangerous}, token=helpdesk.admin)
        assert answer.status == 400 and "upload_types" in answer.json["fields"], dangerous
    helpdesk.set_settings(upload_types=["image/png", "application/x-7z-compressed"])
    settings = helpdesk.api.get("/agent/settings", token=helpdesk.admin).json
    assert settings["upload_types"] == ["image/png", "application/x-7z-compressed"]
    refused = helpdesk.api.post("/portal/uploads", {"filename": "a.pdf", "content_type": "application/pdf",
                                                    "size": 10}, token=helpdesk.requester)
    assert refused.status == 400 and "content_type" in refused.json["fields"]
    allowed = helpdesk.api.post("/portal/uploads", {"filename": "a.7z", "content_type": "application/x-7z-compressed",
                                                    "size": 10}, token=helpdesk.requester)
    assert allowed.status == 201


def test_upload_settings_have_defaults_and_bounds(helpdesk):
    settings = helpdesk.api.get("/agent/settings", token=helpdesk.admin).json
    assert settings["upload_max_mb"] == 10 and settings["upload_max_files"] == 10
    assert "image/png" in settings["upload_types"] and "text/html" not in settings["upload_types"]
    for bad in ({"upload_max_mb": 0}, {"upload_max_files": 0}, {"upload_max_files": 21}, {"upload_max_mb": None}):
        assert helpdesk.api.patch("/agent/settings", bad, token=helpdesk.admin).status == 400, bad


def test_an_upload_needs_a_caller(api):
    answer = api.post("/portal/uploads", {"filename": "a.txt", "content_type": "text/plain", "size": 1})
    assert answer.status == 401
    assert api.post("/agent/uploads", {"filename": "a.txt", "content_type": "text/plain", "size": 1}).status == 401


# --- attaching --------------------------------------------------------------------------------

def test_a_ticket_with_files_lists_them_and_they_are_copied_under_the_ticket(helpdesk, outbox):
    png = upload(helpdesk.api, helpdesk.requester)
    log = upload(helpdesk.api, helpdesk.requester, "büro log.txt", b"line 1\nline 2\n", "text/plain")
    ticket = helpdesk.open_ticket(attachments=[png, log])
    files = ticket["attachments"]
    assert [(f["filename"], f["content_type"], f["size"]) for f in files] == [
        ("screen.png", "image/png", len(PNG)), ("büro log.txt", "text/plain", 14)]
    assert png not in {f["id"] for f in files}  # the file's id, not the upload's
    number = ticket["number"]
    assert sorted(keys(f"tickets/{number}/")) == sorted(f"tickets/{number}/{f['id']}" for f in files)
    assert object_bytes(f"tickets/{number}/{files[0]['id']}") == PNG
    view = helpdesk.api.get(f"/portal/tickets/{number}", token=helpdesk.requester).json
    assert view["attachments"] == files
    agent_view = helpdesk.api.get(f"/agent/tickets/{number}", token=helpdesk.agent).json
    assert agent_view["attachments"] == files
    # Mail names the files, never links them.
    for mail in outbox.messages("ticket-created"):
        assert mail["data"]["attachments"] == ["screen.png", "büro log.txt"]
        assert "X-Amz" not in str(mail["data"]) and files[0]["id"] not in str(mail["data"])


def test_ticket_mail_without_files_carries_an_empty_list(helpdesk, outbox):
    helpdesk.open_ticket()
    assert all(m["data"]["attachments"] == [] for m in outbox.messages("ticket-created"))


def test_the_file_downloads_through_a_short_presigned_get_forcing_attachment_and_type(helpdesk):
    log = upload(helpdesk.api, helpdesk.requester, "résumé 100%.txt", b"hello", "text/plain")
    ticket = helpdesk.open_ticket(attachments=[log])
    file_id = ticket["attachments"][0]["id"]
    path = f"/portal/tickets/{ticket['number']}/attachments/{file_id}"
    answer = helpdesk.api.get(path, token=helpdesk.requester)
    assert answer.status == 302 and answer.body == b""
    location = answer.headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert query["response-content-disposition"] == ["attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%20100%25.txt"]
    assert unquote("r%C3%A9sum%C3%A9%20100%25.txt") == "résumé 100%.txt"
    assert query["response-content-type"] == ["text/plain"]
    assert int(query["X-Amz-Expires"][0]) <= 300
    fetched = requests.get(location, timeout=10)
    assert fetched.status_code == 200 and fetched.content == b"hello"
    assert fetched.headers["Content-Disposition"].startswith("attachment;")

    link = helpdesk.api.get(f"{path}?redirect=false", token=helpdesk.requester)
    assert link.status == 200 and set(link.json) == {"url", "expires_at"}
    assert requests.get(link.json["url"], timeout=10).content == b"hello"
    agent = helpdesk.api.get(f"/agent/tickets/{ticket['number']}/attachments/{file_id}?redirect=false",
                             token=helpdesk.agent)
    assert agent.status == 200 and requests.get(agent.json["url"], timeout=10).content == b"hello"


def test_notes_carry_files_and_a_reply_with_files_mails_their_names(helpdesk, outbox):
    ticket = helpdesk.open_ticket()
    number = ticket["number"]
    mine = upload(helpdesk.api, helpdesk.requester, "trace.csv", b"a,b\n1,2\n", "text/csv")
    reply = helpdesk.api.post(f"/portal/tickets/{number}/notes", {"body": "Here it is", "attachments": [mine]},
                              token=helpdesk.requester)
    assert reply.status == 201, reply.json
    assert [f["filename"] for f in reply.json["attachments"]] == ["trace.csv"]
    agents = upload(helpdesk.api, helpdesk.agent, "fix.pdf", b"%PDF-1.4 x", "application/pdf", agent=True)
    note = helpdesk.api.post(f"/agent/tickets/{number}/notes", {"body": "Try this", "attachments": [agents]},
                             token=helpdesk.agent)
    assert note.status == 201 and note.json["attachments"][0]["filename"] == "fix.pdf"
    listed = helpdesk.api.get(f"/portal/tickets/{number}/notes", token=helpdesk.requester).json["items"]
    assert [[f["filename"] for f in n["attachments"]] for n in listed] == [["trace.csv"], ["fix.pdf"]]
    mails = outbox.messages("ticket-note-created", to="rita@acme.test")
    assert [m["data"]["attachments"] for m in mails] == [["fix.pdf"]]
    # Each file downloads from the ticket it belongs to.
    file_id = note.json["attachments"][0]["id"]
    answer = helpdesk.api.get(f"/portal/tickets/{number}/attachments/{file_id}?redirect=false",
                              token=helpdesk.requester)
    assert requests.get(answer.json["url"], timeout=10).content == b"%PDF-1.4 x"


def test_a_file_on_an_internal_note_never_reaches_the_client(helpdesk, outbox):
    ticket = helpdesk.open_ticket()
    number = ticket["number"]
    secret = upload(helpdesk.api, helpdesk.agent, "salaries.csv", b"x,y\n", "text/csv", agent=True)
    note = helpdesk.api.post(f"/agent/tickets/{number}/notes", {"body": "internal", "internal": True,
                                                               "attachments": [secret]}, token=helpdesk.agent)
    assert note.status == 201
    file_id = note.json["attachments"][0]["id"]
    # Agents see and download it.
    assert helpdesk.api.get(f"/agent/tickets/{number}/attachments/{file_id}", token=helpdesk.agent).status == 302
    # The client, by every route: ticket view, notes list, download (both forms), the org admin too.
    for token in (helpdesk.requester, helpdesk.org_admin):
        view = helpdesk.api.get(f"/portal/tickets/{number}", token=token)
        assert view.status == 200 and file_id not in view.body.decode() and "salaries" not in view.body.decode()
        notes = helpdesk.api.get(f"/portal/tickets/{number}/notes", token=token)
        assert "salaries" not in notes.body.decode()
        for suffix in ("", "?redirect=false"):
            answer = helpdesk.api.get(f"/portal/tickets/{number}/attachments/{file_id}{suffix}", token=token)
            assert answer.status == 404 and answer.code == "not_found" and "location" not in answer.headers
    assert all("salaries" not in str(m["data"]) for m in outbox.messages(to="rita@acme.test"))


def test_files_of_a_blocked_ticket_or_another_organizations_ticket_are_404_for_clients(helpdesk):
    first = upload(helpdesk.api, helpdesk.requester)
    ticket = helpdesk.open_ticket(attachments=[first])
    number, file_id = ticket["number"], ticket["attachments"][0]["id"]
    path = f"/portal/tickets/{number}/attachments/{file_id}"
    assert helpdesk.api.get(path, token=helpdesk.org_admin).status == 302  # the client admin sees the org's
    assert helpdesk.api.get(path, token=helpdesk.stranger).status == 404
    assert helpdesk.agent_patch(number, block_client_view=True).status == 200
    assert helpdesk.api.get(path, token=helpdesk.requester).status == 404
    assert helpdesk.api.get(f"/agent/tickets/{number}/attachments/{file_id}", token=helpdesk.agent).status == 302


def test_a_file_is_only_found_under_its_own_ticket(helpdesk):
    first = helpdesk.open_ticket(attachments=[upload(helpdesk.api, helpdesk.requester)])
    second = helpdesk.open_ticket()
    file_id = first["attachments"][0]["id"]
    for path in (f"/portal/tickets/{second['number']}/attachments/{file_id}",
                 f"/agent/tickets/{second['number']}/attachments/{file_id}",
                 f"/portal/tickets/{first['number']}/attachments/01ARZ3NDEKTSV4RRFFQ69G5FAV",
                 f"/portal/tickets/{first['number']}/attachments/not-an-id",
                 f"/agent/tickets/99999/attachments/{file_id}"):
        token = helpdesk.agent if path.startswith("/agent") else helpdesk.requester
        assert helpdesk.api.get(path, token=token).status == 404, path


def _nothing_bound(number_before: int | None = None) -> None:
    assert file_items() == []
    assert keys("tickets/") == []


@pytest.mark.parametrize("where", ["portal ticket", "portal note", "agent ticket", "agent note"])
def test_bad_upload_ids_are_refused_and_nothing_is_bound(helpdesk, where):
    number = helpdesk.open_ticket()["number"]
    mine = upload(helpdesk.api, helpdesk.agent if where.startswith("agent") else helpdesk.requester,
                  agent=where.startswith("agent"))
    others = upload(helpdesk.api, helpdesk.stranger)
    never_sent = upload(helpdesk.api, helpdesk.requester, send=False)

    def attach(ids):
        if where == "portal ticket":
            return helpdesk.api.post("/portal/tickets", {"subject": "S", "description": "D", "attachments": ids},
                                     token=helpdesk.requester)
        if where == "portal note":
            return helpdesk.api.post(f"/portal/tickets/{number}/notes", {"body": "B", "attachments": ids},
                                     token=helpdesk.requester)
        if where == "agent ticket":
            return helpdesk.api.post("/agent/tickets", {"requester_id": helpdesk.requester_id, "subject": "S",
                                                        "description": "D", "attachments": ids}, token=helpdesk.agent)
        return helpdesk.api.post(f"/agent/tickets/{number}/notes", {"body": "B", "attachments": ids},
                                 token=helpdesk.agent)

    cases = [[others], [mine, others], ["01ARZ3NDEKTSV4RRFFQ69G5FAV"], ["nonsense"], [mine, mine], [None], "x"]
    if where.startswith("portal"):
        cases.append([never_sent])
    for ids in cases:
        answer = attach(ids)
        assert answer.status == 400 and answer.code == "validation_error", (ids, answer.json)
    _nothing_bound()
    ok = attach([mine])
    assert ok.status == 201, ok.json
    again = attach([mine])
    assert again.status == 409 and again.code == "conflict", again.json
    assert len(file_items()) == 1


def test_a_file_bigger_than_declared_or_of_another_type_is_refused(helpdesk):
    from chalicelib.models.attachments import AttachmentModel, upload_key

    bigger = upload(helpdesk.api, helpdesk.requester, "a.txt", b"12345", "text/plain", send=False)
    key = AttachmentModel.get(upload_key(bigger)).object_key
    # moto does not enforce the POST policy; S3 would. Put the object directly, as an attacker
    # with the key could not (the policy), to prove the app checks anyway.
    s3().put_object(Bucket=attachments_bucket(), Key=key, Body=b"123456789", ContentType="text/plain")
    answer = helpdesk.api.post("/portal/tickets", {"subject": "S", "description": "D", "attachments": [bigger]},
                               token=helpdesk.requester)
    assert answer.status == 400 and "declared size" in answer.json["fields"]["attachments"]
    other_type = upload(helpdesk.api, helpdesk.requester, "b.txt", b"12345", "text/plain", send=False)
    key = AttachmentModel.get(upload_key(other_type)).object_key
    s3().put_object(Bucket=attachments_bucket(), Key=key, Body=b"12345", ContentType="text/html")
    answer = helpdesk.api.post("/portal/tickets", {"subject": "S", "description": "D", "attachments": [other_type]},
                               token=helpdesk.requester)
    assert answer.status == 400 and "declared type" in answer.json["fields"]["attachments"]
    _nothing_bound()
    # A refused ticket took no number: the next one is the first.
    assert helpdesk.open_ticket()["number"] == 1001


def test_no_more_files_than_the_setting(helpdesk):
    helpdesk.set_settings(upload_max_files=2)
    ids = [upload(helpdesk.api, helpdesk.requester, f"{n}.png") for n in range(3)]
    answer = helpdesk.api.post("/portal/tickets", {"subject": "S", "description": "D", "attachments": ids},
                               token=helpdesk.requester)
    assert answer.status == 400 and "attachments" in answer.json["fields"]
    assert helpdesk.open_ticket(attachments=ids[:2])["attachments"][1]["filename"] == "1.png"
    too_many = helpdesk.api.post("/portal/tickets", {"subject": "S", "description": "D",
                                                     "attachments": ids * 7}, token=helpdesk.requester)
    assert too_many.status == 400


def test_a_reply_refused_on_a_closed_ticket_binds_nothing(helpdesk):
    number = helpdesk.open_ticket()["number"]
    assert helpdesk.agent_patch(number, status="closed").status == 200
    mine = upload(helpdesk.api, helpdesk.requester)
    answer = helpdesk.api.post(f"/portal/tickets/{number}/notes", {"body": "B", "attachments": [mine]},
                               token=helpdesk.requester)
    assert answer.status == 409
    _nothing_bound()
    assert helpdesk.open_ticket(attachments=[mine])["attachments"]


def test_a_read_only_impersonation_session_cannot_upload(helpdesk, portal):
    answer = helpdesk.api.post(f"/agent/clients/{helpdesk.requester_id}/impersonate", token=portal.agent_token)
    assert answer.status == 201, answer.json
    bearer = portal.bearer(answer.json["token"])
    refused = helpdesk.api.post("/portal/uploads", {"filename": "a.txt", "content_type": "text/plain", "size": 1},
                                token=bearer)
    assert refused.status == 403


def test_removing_a_client_keeps_their_tickets_files(helpdesk):
    ticket = helpdesk.open_ticket(attachments=[upload(helpdesk.api, helpdesk.requester)])
    file_id = ticket["attachments"][0]["id"]
    removed = helpdesk.api.delete(f"/agent/clients/{helpdesk.requester_id}", token=helpdesk.admin)
    assert removed.status in (200, 204), removed.json
    answer = helpdesk.api.get(f"/agent/tickets/{ticket['number']}/attachments/{file_id}?redirect=false",
                              token=helpdesk.agent)
    assert answer.status == 200 and requests.get(answer.json["url"], timeout=10).content == PNG


def test_three_files_cost_a_ticket_or_note_at_most_two_dynamodb_calls_more(helpdesk):
    from bench.dynamo import counting

    def cost(send) -> int:
        with counting() as calls:
            answer = send()
        assert answer.status == 201, answer.json
        return calls.total

    api, bearer = helpdesk.api, helpdesk.requester
    number = helpdesk.open_ticket()["number"]
    plain_ticket = cost(lambda: api.post("/portal/tickets", {"subject": "S", "description": "D"}, token=bearer))
    ids = [upload(api, bearer, f"{n}.png") for n in range(3)]
    with_files = cost(lambda: api.post("/portal/tickets", {"subject": "S", "description": "D", "attachments": ids},
                                       token=bearer))
    assert with_files <= plain_ticket + 2, (plain_ticket, with_files)
    plain_note = cost(lambda: api.post(f"/agent/tickets/{number}/notes", {"body": "B"}, token=helpdesk.agent))
    ids = [upload(api, helpdesk.agent, f"{n}.png", agent=True) for n in range(3)]
    note_files = cost(lambda: api.post(f"/agent/tickets/{number}/notes", {"body": "B", "attachments": ids},
                                       token=helpdesk.agent))
    assert note_files <= plain_note + 2, (plain_note, note_files)
