"""Attachments in the portal page, in headless Chromium: files go from the page straight to S3
(the AWS stand-in) with a presigned POST, a new ticket and a reply name them, the conversation
shows each with its size, a thumbnail for images and a download that gives back the same bytes;
a refused type is said next to its file and never sent."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, needs_routes, screenshot
from tests.browser.flows import active_client, client_session, files_bucket_allows

ATTACHMENT_ROUTES = ("POST /agent/clients", "POST /portal/activate", "GET /portal/me", "POST /portal/tickets",
                     "GET /portal/tickets/{number}", "POST /portal/tickets/{number}/notes", "POST /portal/uploads",
                     "GET /portal/tickets/{number}/attachments/{id}")
IMPERSONATE = "POST /agent/clients/{id}/impersonate"
LOG_TEXT = "2026-11-30 04:12:07 spooler: job 118 printed 0 of 3 pages\n" * 40


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    """A valid RGB PNG, built by hand (signature, IHDR, one zlib IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes((200, 40, 40)) * width for _ in range(height))  # filter 0 per row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def attach(page: Page, form: Any, *files: dict[str, Any]) -> None:
    """Choose files with the form's "Attach files" button, as a user does in the file dialog."""
    with page.expect_file_chooser() as chooser:
        form.get_by_role("button", name="Attach files").click()
    chooser.value.set_files(list(files))


def drop(page: Page, form: Any, name: str, mime_type: str, text: str) -> None:
    """Drag a file from the desktop onto the form."""
    transfer = page.evaluate_handle(
        "([name, type, text]) => { const dt = new DataTransfer();"
        " dt.items.add(new File([text], name, { type })); return dt; }",
        [name, mime_type, text])
    form.dispatch_event("dragover", {"dataTransfer": transfer})
    expect(form).to_have_class(re.compile(r"\bdropping\b"))
    form.dispatch_event("drop", {"dataTransfer": transfer})


def upload_row(form: Any, filename: str) -> Any:
    return form.get_by_role("list", name="Files to attach").locator("li").filter(has_text=filename)


def attachment_row(scope: Any, filename: str) -> Any:
    return scope.get_by_role("list", name="Attachments").locator("li").filter(has_text=filename)


def expect_thumbnail_shown(page: Page, filename: str, width: int) -> None:
    """The thumbnail is there and really decoded from the bucket (not a broken image)."""
    thumbnail = page.get_by_alt_text(f"Preview of {filename}")
    expect(thumbnail).to_be_visible()
    thumbnail.evaluate("img => img.decode()")
    assert thumbnail.evaluate("img => img.naturalWidth") == width


def test_the_attachments_script_keeps_the_page_scripts_safety_rules():
    """portal-files.js is loaded by portal.js: the rules tests/api/test_portal_page.py holds
    portal.js to hold for it too (no HTML parsing, no web storage; safe to compact)."""
    from chalicelib.routes.public import PORTAL_DIR

    script = (PORTAL_DIR / "static" / "portal-files.js").read_text()
    for forbidden in ("localStorage", "sessionStorage", "innerHTML", "outerHTML", "insertAdjacentHTML",
                      "document.write", "eval(", "new Function"):
        assert forbidden not in script, forbidden
    assert not re.search(r"""(["'])[^"'\n]*(/\*|\*/)[^"'\n]*\1""", script)


@needs_routes(*ATTACHMENT_ROUTES)
def test_files_go_with_a_new_ticket_and_a_reply_show_as_thumbnails_and_download_as_sent(
        page: Page, api, admin_token, portal_url: str, tmp_path: Path):
    png = tiny_png()
    files_bucket_allows(portal_url)
    active_client(page, api, admin_token, "ines@acme.test", "Ines Client")

    page.get_by_role("navigation").get_by_role("link", name="New ticket").click()
    new_ticket = page.locator("form[aria-label='New ticket']")
    new_ticket.get_by_label("Subject").fill("The printer prints blank pages")
    new_ticket.get_by_label("Description").fill("Screenshot and spooler log attached.")
    attach(page, new_ticket,
           {"name": "screen.png", "mimeType": "image/png", "buffer": png},
           {"name": "spooler.log", "mimeType": "text/plain", "buffer": LOG_TEXT.encode()})
    for name, size in (("screen.png", f"{len(png)} B"), ("spooler.log", "2.3 KB")):
        row = upload_row(new_ticket, name)
        expect(row.locator(".upload-msg")).to_have_text("Uploaded.")
        expect(row).to_contain_text(size)
        expect(row.locator("progress")).to_have_attribute("value", "100")

    # A type the server refuses (HTML could run in a browser) is said next to that file, and
    # the form is not sent while it is there.
    attach(page, new_ticket, {"name": "invoice.html", "mimeType": "text/html", "buffer": b"<h1>hi</h1>"})
    refused = upload_row(new_ticket, "invoice.html")
    expect(refused.locator(".upload-msg.error")).to_be_visible()
    expect(refused.locator(".upload-msg")).not_to_have_text("Uploaded.")
    expect(refused.locator(".upload-msg")).to_contain_text(re.compile(r"type|allowed|html", re.I))
    expect(refused.locator("progress")).to_be_hidden()
    assert_accessible(page)
    screenshot(page, "40-new-ticket-attachments")
    new_ticket.get_by_role("button", name="Create ticket").click()
    expect(new_ticket.locator(".form-error")).to_have_text(
        "Remove the files that could not be attached, then send again.")
    refused.get_by_role("button", name="Remove invoice.html").click()
    expect(refused).to_have_count(0)
    expect(new_ticket.get_by_role("button", name="Attach files")).to_be_focused()

    new_ticket.get_by_role("button", name="Create ticket").click()
    expect(page.get_by_text(re.compile(r"Ticket #\d+ was created\."))).to_be_visible()
    number = int(re.search(r"/portal/tickets/(\d+)$", page.url).group(1))

    # The ticket lists both files with their sizes; the image has a thumbnail from the bucket.
    description = page.locator(".message").first
    expect(attachment_row(description, "screen.png")).to_contain_text(f"{len(png)} B")
    expect(attachment_row(description, "spooler.log")).to_contain_text("2.3 KB")
    expect_thumbnail_shown(page, "screen.png", 3)
    assert_accessible(page)
    screenshot(page, "41-ticket-attachments")

    # Downloading gives back the very bytes sent (the link's redirect forces a download).
    with page.expect_download() as download:
        attachment_row(description, "spooler.log").get_by_role("link", name="spooler.log").click()
    saved = tmp_path / "spooler.log"
    download.value.save_as(saved)
    assert saved.read_bytes() == LOG_TEXT.encode()
    assert download.value.suggested_filename == "spooler.log"
    assert re.search(rf"/portal/tickets/{number}$", page.url)  # the page stayed where it was

    # The image too, through the route's JSON answer (what the page uses for thumbnails).
    headers = client_session(api, "ines@acme.test")
    ticket = api.get(f"/portal/tickets/{number}", token=headers["Authorization"]).json
    files = {f["filename"]: f for f in ticket["attachments"]}
    assert {name: (f["content_type"], f["size"]) for name, f in files.items()} == {
        "screen.png": ("image/png", len(png)), "spooler.log": ("text/plain", len(LOG_TEXT))}
    signed = api.get(f"/portal/tickets/{number}/attachments/{files['screen.png']['id']}?redirect=false",
                     token=headers["Authorization"]).json
    assert page.request.get(signed["url"]).body() == png

    # A reply carries a file dropped on its form.
    reply = page.locator("form[aria-label='Reply']")
    reply.get_by_label("Your reply").fill("The same happens with this log.")
    drop(page, reply, "second.log", "text/plain", "job 119 printed 0 of 1 pages\n")
    expect(upload_row(reply, "second.log").locator(".upload-msg")).to_have_text("Uploaded.")
    reply.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Your reply was sent.")).to_be_visible()
    expect(reply.get_by_role("list", name="Files to attach").locator("li")).to_have_count(0)
    note = page.get_by_role("list", name="Conversation").locator("li.message").last
    expect(attachment_row(note, "second.log")).to_contain_text("29 B")
    page.reload()
    note = page.get_by_role("list", name="Conversation").locator("li.message").last
    expect(note).to_contain_text("The same happens with this log.")
    expect(attachment_row(note, "second.log")).to_be_visible()


@needs_routes(*ATTACHMENT_ROUTES, IMPERSONATE)
def test_the_read_only_client_view_shows_thumbnails_and_downloads_with_its_token(
        page: Page, api, admin_token, portal_url: str, tmp_path: Path):
    png = tiny_png(4, 4)
    files_bucket_allows(portal_url)
    client = active_client(page, api, admin_token, "otto@acme.test", "Otto Client")
    page.goto("/portal/tickets/new")
    new_ticket = page.locator("form[aria-label='New ticket']")
    new_ticket.get_by_label("Subject").fill("Scanner jams")
    new_ticket.get_by_label("Description").fill("See the photo.")
    attach(page, new_ticket, {"name": "photo.png", "mimeType": "image/png", "buffer": png},
           {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"tray 2\n"})
    expect(new_ticket.locator(".upload-msg").filter(has_text="Uploaded.")).to_have_count(2)
    new_ticket.get_by_role("button", name="Create ticket").click()
    expect(page.get_by_text(re.compile(r"Ticket #\d+ was created\."))).to_be_visible()

    # The agent's "view as client" link has no cookie: the page asks for the URLs with its token.
    page.context.clear_cookies()
    answer = api.post(f"/agent/clients/{client['id']}/impersonate", token=admin_token)
    assert answer.status == 201, answer.body
    page.goto(f"/portal/impersonate#token={answer.json['token']}")
    page.get_by_role("link", name="Scanner jams").click()
    expect(page.locator("#banner")).to_contain_text("read-only")
    expect_thumbnail_shown(page, "photo.png", 4)
    with page.expect_download() as download:
        page.get_by_role("link", name="notes.txt").click()
    saved = tmp_path / "notes.txt"
    download.value.save_as(saved)
    assert saved.read_bytes() == b"tray 2\n"
    expect(page.locator("form")).to_have_count(0)
