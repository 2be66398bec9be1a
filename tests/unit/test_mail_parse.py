"""The inbound mail parser (services/mail_parse.py) on a corpus of real-world shapes
(tests/mail_corpus/) and on bad input: every message is parsed or dropped with a reason."""

from __future__ import annotations

import dataclasses
import io
import time
import zipfile
from pathlib import Path

import pytest

from chalicelib.services import mail_parse

CORPUS = Path(__file__).resolve().parents[1] / "mail_corpus"


def corpus(name: str) -> mail_parse.ParsedMail:
    return mail_parse.parse((CORPUS / name).read_bytes())


@pytest.mark.parametrize(("name", "reply"), [
    ("gmail_reply.eml", "Thanks, that fixed it — the printer works again.\n\nCould you also check the scanner?"),
    ("outlook_reply.eml", "Hi Bob,\n\nIt is still offline after the restart."),
    ("apple_mail_reply.eml", "Yes please, tomorrow at 10 works for me."),
    ("html_only.eml", "The new laptop & dock arrived.\n\nPlease set them up."),
])
def test_replies_lose_their_quoted_history_and_signature(name, reply):
    parsed = corpus(name)
    assert parsed.reply_text == reply
    assert parsed.automatic is None


def test_a_gmail_reply_prefers_the_text_part_and_keeps_the_whole_text_apart():
    parsed = corpus("gmail_reply.eml")
    assert parsed.message_id == "CAF3x+gmail-reply-1@mail.gmail.com"
    assert (parsed.sender, parsed.sender_name) == ("jane@acme.test", "Jane Doe")
    assert "wrote:" in parsed.text and "gmail_quote" not in parsed.text
    assert parsed.files == []


def test_html_only_mail_becomes_text_without_scripts_styles_or_markup():
    text = corpus("html_only.eml").text
    for gone in ("alert", "document.cookie", "color:red", "<", "steal", "pixel.gif"):
        assert gone not in text


def test_a_forwarded_message_keeps_the_forwarded_text_in_the_whole_body():
    parsed = corpus("forwarded.eml")
    assert parsed.subject == "Fwd: Invoice 2026-118 is wrong"
    assert "invoice 2026-118 for EUR 2,400.00" in parsed.text


def test_non_utf8_headers_and_body_are_decoded():
    parsed = corpus("non_utf8.eml")
    assert parsed.subject == "Drucker im Büro defekt"
    assert parsed.sender_name == "Jürgen Müller"
    assert parsed.reply_text == "Grüße, der Drucker im Büro druckt nur noch weiße Seiten."


@pytest.mark.parametrize(("name", "why"), [("auto_reply.eml", "auto_submitted"),
                                           ("bounce_dsn.eml", "auto_submitted")])
def test_auto_replies_and_bounces_are_recognised(name, why):
    assert corpus(name).automatic == why


@pytest.mark.parametrize(("headers", "why"), [
    ("Precedence: junk\n", "bulk_precedence"), ("X-Autoreply: yes\n", "auto_reply"),
    ("Auto-Submitted: no\n", None), ("", None)])
def test_automatic_mail_headers(headers, why):
    raw = f"From: a@b.test\nTo: support@in.portico.example\nSubject: x\n{headers}\nhello\n".encode()
    assert mail_parse.parse(raw).automatic == why


def test_a_dsn_without_auto_submitted_is_still_a_delivery_report():
    raw = (CORPUS / "bounce_dsn.eml").read_bytes().replace(b"Auto-Submitted: auto-replied\n", b"").replace(
        b"MAILER-DAEMON@mx.acme.test", b"robot@mx.acme.test")
    assert mail_parse.parse(raw).automatic == "delivery_report"


def test_postmaster_is_a_robot():
    assert mail_parse.parse(b"From: postmaster@acme.test\nSubject: x\n\nhi\n").automatic == "mailer_daemon"


def test_attachments_and_inline_images_become_files_with_their_bytes():
    files = {f.filename: f for f in corpus("with_attachments.eml").files}
    assert set(files) == {"part-3.png", "report.pdf", "setup.exe"}
    assert files["report.pdf"].content.startswith(b"%PDF-1.4")
    assert files["part-3.png"].content_type == "image/png"
    assert corpus("with_attachments.eml").reply_text == "Here is the error and the report."


def test_control_characters_in_the_subject_are_removed_not_refused():
    raw = b"From: a@b.test\nSubject: =?utf-8?q?Printer=07_broken=E2=80=AE_now?=\n\nhi\n"
    assert mail_parse.parse(raw).subject == "Printer broken now"
    assert mail_parse.parse(b"From: a@b.test\n\nhi\n").subject == mail_parse.NO_SUBJECT


def test_raw_non_ascii_headers_are_read_as_utf8():
    raw = "From: Zoë <zoe@acme.test>\nSubject: Café crème\n\nbonjour\n".encode()
    parsed = mail_parse.parse(raw)
    assert parsed.subject == "Café crème" and parsed.sender == "zoe@acme.test"


def test_an_unknown_charset_is_read_as_latin1_rather_than_refused():
    raw = b"From: a@b.test\nSubject: x\nContent-Type: text/plain; charset=x-unknown\n\ncaf\xe9\n"
    assert mail_parse.parse(raw).text == "café"


@pytest.mark.parametrize("raw", [
    b"From: a@b.test, c@d.test\nSubject: two senders\n\nhi\n",
    b"From: undisclosed-recipients:;\nSubject: x\n\nhi\n",
    b"Subject: no sender\n\nhi\n",
])
def test_a_from_header_that_is_not_exactly_one_address_is_dropped(raw):
    with pytest.raises(mail_parse.Dropped) as dropped:
        mail_parse.parse(raw)
    assert dropped.value.reason == "from_not_one_address"


def test_a_message_over_40_mb_is_dropped_unread():
    with pytest.raises(mail_parse.Dropped, match="too_large"):
        mail_parse.parse(b"x" * (mail_parse.MAX_MESSAGE_BYTES + 1))


def test_a_message_with_500_parts_is_dropped():
    parts = "".join("--b\nContent-Type: text/plain\n\npart\n" for _ in range(500))
    raw = f"From: a@b.test\nSubject: x\nContent-Type: multipart/mixed; boundary=b\n\n{parts}--b--\n".encode()
    with pytest.raises(mail_parse.Dropped, match="too_many_parts"):
        mail_parse.parse(raw)


def test_a_zip_bomb_is_a_small_file_never_opened():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.bin", bytes(50 * 1024 * 1024))  # 50 MB of zeros, ~50 KB zipped
    import base64
    payload = base64.encodebytes(buffer.getvalue()).decode()
    raw = ("From: a@b.test\nSubject: x\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
           f"see attached\n--b\nContent-Type: application/zip\nContent-Disposition: attachment; filename=a.zip\n"
           f"Content-Transfer-Encoding: base64\n\n{payload}--b--\n").encode()
    parsed = mail_parse.parse(raw)
    assert [(f.filename, len(f.content)) for f in parsed.files] == [("a.zip", len(buffer.getvalue()))]


@pytest.mark.parametrize("raw", [
    b"", b"\x00\xff\xfe garbage", b"From: a@b.test\nContent-Type: multipart/mixed\n\nno boundary\n",
    b"From: a@b.test\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: base64\n\n!!!\n",
    b"From: a@b.test\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
    b"=ZZ\xff\n",
    b"From: =?utf-8?b?broken?= <a@b.test>\nSubject: =?bogus?q?x?=\n\nhi\n",
])
def test_malformed_mime_is_parsed_or_dropped_never_raised(raw):
    try:
        mail_parse.parse(raw)
    except mail_parse.Dropped as dropped:
        assert dropped.reason in ("malformed", "from_not_one_address")


# --- what one message may cost ------------------------------------------------------------

def test_a_header_block_over_256_kb_is_dropped_before_it_is_parsed(monkeypatch):
    import email

    def never(*_args, **_kwargs):
        raise AssertionError("parsed")

    monkeypatch.setattr(email, "message_from_bytes", never)
    raw = b"From: a@b.test\nSubject: x\n" + b"X-Filler: " + b"y" * (300 * 1024) + b"\n\nhi\n"
    started = time.process_time()
    with pytest.raises(mail_parse.Dropped, match="headers_too_large"):
        mail_parse.parse(raw)
    assert time.process_time() - started < 1
    many = b"From: a@b.test\n" + b"X-Filler: y\n" * 30_000 + b"\nhi\n"  # many short lines, CRLF or not
    for message in (many, many.replace(b"\n", b"\r\n")):
        with pytest.raises(mail_parse.Dropped, match="headers_too_large"):
            mail_parse.parse(message)


def test_a_large_body_after_small_headers_is_still_parsed():
    raw = b"From: a@b.test\r\nSubject: x\r\n\r\n" + b"word " * 100_000
    assert mail_parse.parse(raw).text.endswith("[truncated]")


def test_a_body_the_reply_stripper_is_slow_on_is_handled_in_well_under_a_second():
    raw = b"From: a@b.test\nSubject: x\n\n" + b"On " * 6000 + b"\n"
    started = time.process_time()
    parsed = mail_parse.parse(raw)
    assert time.process_time() - started < 3  # 15 s when the whole text went to the stripper
    assert parsed.reply_text == parsed.text and parsed.text.startswith("On On")


def test_a_long_reply_keeps_its_quoted_history_out_when_the_quote_starts_early():
    reply = "Thanks, that fixed it."
    history = "\n".join(f"> line {n} of an old message in the thread" for n in range(400))
    raw = (f"From: a@b.test\nSubject: x\n\n{reply}\n\nOn Mon, Nov 30, 2026 at 9:00 AM Bob <bob@x.test> wrote:\n"
           f"{history}\n").encode()
    parsed = mail_parse.parse(raw)
    assert len(parsed.text) > mail_parse.MAX_STRIPPED_CHARS and parsed.reply_text == reply


def test_a_long_reply_without_a_quote_in_its_first_part_is_kept_whole():
    body = "\n\n".join(f"Paragraph {n}: the printer on floor {n} shows error E{n}." for n in range(200))
    parsed = mail_parse.parse(f"From: a@b.test\nSubject: x\n\n{body}\n".encode())
    assert len(body) > mail_parse.MAX_STRIPPED_CHARS and parsed.reply_text == parsed.text == body


def test_recipients_are_not_parsed_production_never_uses_them():
    assert "recipients" not in {f.name for f in dataclasses.fields(mail_parse.ParsedMail)}
