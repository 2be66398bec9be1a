"""Inbound mail, parsed (product.md §8): a pure function from the raw RFC 5322 bytes to what
the mail-in rules need, or a reason to drop the message. No I/O, no settings: tested on a
corpus of real-world messages (tests/mail_corpus/).

- MIME with the standard library's `email` package, policy `default` (RFC 2047 headers,
  charsets, transfer encodings). A charset Python does not know is read as Latin-1 rather
  than refused: some text beats none.
- The body: text/plain preferred in multipart/alternative; HTML only when there is no
  text, converted to text here (scripts, styles and head dropped; nothing is ever rendered).
- The reply itself: quoted history and signatures stripped with `mail-parser-reply`
  (maintained, multi-language; imported on first use: cold start).
- Files: every leaf part that is not the body (attachments and inline images), with its
  bytes; what may be kept is the attachments service's decision (types, sizes, count).
- Limits that keep one message from costing much: 40 MB in all, a 256 KB header block
  (checked on the bytes, before the `email` package parses anything), 500 MIME parts,
  nesting 20, and only the first 4,000 characters go to the reply stripper, whose regexes
  take seconds on some longer texts. A compressed attachment is never opened (a zip bomb is
  a small file here).
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from html.parser import HTMLParser

MB = 1024 * 1024
MAX_MESSAGE_BYTES = 40 * MB
MAX_HEADER_BYTES = 256 * 1024  # real header blocks, long Received and DKIM chains included, are a few KB
MAX_PARTS = 500
MAX_DEPTH = 20
MAX_SUBJECT = 200
MAX_TEXT = 20_000  # a note's or description's limit (schemas/tickets.py Text)
# mail-parser-reply's cost grows faster than linearly on some texts ("On " * 6000: 15 s;
# 4,000 such characters: well under a second). A newest reply is nearly always shorter.
MAX_STRIPPED_CHARS = 4_000
NO_SUBJECT = "(no subject)"
_REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl"]
# Controls, bidi overrides and line/paragraph separators: never part of a one-line subject.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_ROBOT_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster"})


class Dropped(Exception):
    """The message creates nothing; `reason` is logged (a short code, never message content)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MailFile:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class ParsedMail:
    message_id: str  # as written, without <>; "" when the message has none
    sender: str  # the one From address
    sender_name: str
    subject: str  # one line, control characters removed
    text: str  # the whole body as text (a new ticket's description)
    reply_text: str  # quoted history and signature stripped (a reply's note)
    files: list[MailFile] = field(default_factory=list)
    automatic: str | None = None  # why it looks machine-sent (auto-reply, bounce), or None


def parse(raw: bytes) -> ParsedMail:
    """The message, or Dropped with the reason. Never raises anything else for any input."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise Dropped("too_large")
    if _header_block_too_large(raw):
        raise Dropped("headers_too_large")
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        return _parse(message)  # type: ignore[arg-type]
    except Dropped:
        raise
    except Exception:  # a malformed message is dropped, whatever broke on it
        raise Dropped("malformed") from None


def _parse(message: EmailMessage) -> ParsedMail:
    leaves = _leaves(message)
    sender_name, sender = _single_from(message)
    body = _body_part(message)
    text = _trim(_text_of(body)) if body is not None else ""
    files = [_file(part, n) for n, part in enumerate(leaves, 1) if part is not body and _is_file(part)]
    return ParsedMail(
        message_id=_header(message, "Message-ID").strip().strip("<>")[:500],
        sender=sender, sender_name=sender_name, subject=clean_subject(_header(message, "Subject")),
        text=text, reply_text=_reply_of(text) if text else "", files=files, automatic=_automatic(message, sender))


def _header_block_too_large(raw: bytes) -> bool:
    """True when no empty line (the end of the header block) comes within MAX_HEADER_BYTES."""
    if len(raw) <= MAX_HEADER_BYTES:
        return False
    head = raw[:MAX_HEADER_BYTES + 2]
    return not any(end in head for end in (b"\n\n", b"\n\r\n", b"\r\r"))


# --- structure ----------------------------------------------------------------------------

def _leaves(message: Message) -> list[Message]:
    """Every non-multipart part, depth first, refusing more than MAX_PARTS or deeper than
    MAX_DEPTH. A message/rfc822 part (a forwarded message as attachment) is one leaf."""
    found: list[Message] = []
    count = 0
    stack: list[tuple[Message, int]] = [(message, 0)]
    while stack:
        part, depth = stack.pop()
        count += 1
        if count > MAX_PARTS:
            raise Dropped("too_many_parts")
        if depth > MAX_DEPTH:
            raise Dropped("too_deep")
        if part.get_content_maintype() == "multipart" and isinstance(part.get_payload(), list):
            stack.extend((child, depth + 1) for child in reversed(part.get_payload()))
        else:
            found.append(part)
    return found


def _body_part(message: EmailMessage) -> Message | None:
    """text/plain preferred, HTML else (email's own rules for alternative and related parts)."""
    if message.get_content_maintype() not in ("text", "multipart"):
        return None
    return message.get_body(preferencelist=("plain", "html"))


def _is_file(part: Message) -> bool:
    """Anything but an unnamed inline text part (the other alternative of the body)."""
    if part.get_filename():
        return True
    return not (part.get_content_maintype() == "text" and part.get_content_disposition() != "attachment")


_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp",
               "application/pdf": "pdf", "text/plain": "txt", "message/rfc822": "eml"}


def _file(part: Message, number: int) -> MailFile:
    content_type = part.get_content_type()
    filename = _one_line(_safe(part.get_filename() or "")).replace("/", "_").replace("\\", "_")
    if not filename:
        filename = f"part-{number}.{_EXTENSIONS.get(content_type, 'bin')}"
    payload = part.get_payload(decode=True)
    if payload is None:  # message/rfc822: the forwarded message as it was written
        payload = part.get_payload()[0].as_bytes() if isinstance(part.get_payload(), list) else b""
    return MailFile(filename[:255], content_type, payload)


# --- text ---------------------------------------------------------------------------------

def _text_of(part: Message) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        content = (part.get_payload(decode=True) or b"").decode("latin-1")
    if not isinstance(content, str):
        content = content.decode("latin-1") if isinstance(content, bytes) else ""
    content = _safe(content).replace("\r\n", "\n").replace("\r", "\n")
    return html_to_text(content) if part.get_content_subtype() == "html" else content


def _trim(text: str) -> str:
    text = "\n".join(line.rstrip() for line in text.strip().split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return truncate(text, MAX_TEXT)


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, marked when cut."""
    marker = "\n[truncated]"
    return text if len(text) <= limit else text[:max(0, limit - len(marker))].rstrip() + marker


def _reply_of(text: str) -> str:
    """The newest reply of a (trimmed) body. A longer body: its first MAX_STRIPPED_CHARS are
    stripped, and when no quoted history starts there the whole text is the reply (unstripped;
    already at most MAX_TEXT)."""
    if len(text) <= MAX_STRIPPED_CHARS:
        return _trim(strip_quoted(text))
    reply, quoted = _newest_reply(text[:MAX_STRIPPED_CHARS])
    return _trim(reply) if quoted else text


def strip_quoted(text: str) -> str:
    """The newest reply only: quoted history ("On ... wrote:", Outlook's header block, "> "
    lines) and signatures removed. Slow on some long texts: see MAX_STRIPPED_CHARS."""
    return _newest_reply(text)[0]


def _newest_reply(text: str) -> tuple[str, bool]:
    """strip_quoted's text, and whether a quoted message's header ("On ... wrote:") was found."""
    from mailparser_reply import EmailReplyParser  # lazy: cold start

    replies = EmailReplyParser(languages=list(_REPLY_LANGUAGES)).read(text).replies
    reply = replies[0].body if replies else text
    # What the parser leaves of a bottom-posted quote: lines starting with ">".
    stripped = "\n".join(line for line in reply.split("\n") if not line.startswith(">")).strip()
    return stripped, any(r.headers for r in replies)


class _TextExtractor(HTMLParser):
    _SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript", "iframe", "object"})
    _BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
                         "table", "ul", "ol", "hr", "section", "article", "header", "footer"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:  # noqa: ARG002  (HTMLParser's signature)
        if tag in self._SKIPPED:
            self._skipping += 1
        elif tag in self._BLOCKS:
            self.out.append("\n")
        if tag == "li" and not self._skipping:
            self.out.append("- ")

    def handle_startendtag(self, tag: str, attrs: list) -> None:  # noqa: ARG002
        if tag in self._BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.out.append(re.sub(r"[ \t\n]+", " ", data))


def html_to_text(html: str) -> str:
    """Plain text of an HTML body: blocks become lines, scripts and styles vanish."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = (line.strip() for line in "".join(extractor.out).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- headers ------------------------------------------------------------------------------

def _safe(value: str) -> str:
    """Raw 8-bit bytes in a header or body come back as surrogates: read them as UTF-8."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _one_line(value: str) -> str:
    return " ".join(_CONTROL.sub(" ", value).split())


def _header(message: Message, name: str) -> str:
    try:
        return _safe(str(message.get(name) or ""))
    except Exception:  # an undecodable header counts as absent
        return ""


def clean_subject(raw: str) -> str:
    """One line without control characters (removed, not refused), at most MAX_SUBJECT."""
    subject = _one_line(_safe(raw))
    return subject[:MAX_SUBJECT].rstrip() or NO_SUBJECT


def _single_from(message: Message) -> tuple[str, str]:
    header = message.get("From")
    addresses = getattr(header, "addresses", ()) if header is not None else ()
    if len(addresses) != 1:
        raise Dropped("from_not_one_address")
    address = addresses[0]
    sender = _safe(address.addr_spec or "").strip()
    if "@" not in sender or _CONTROL.search(sender) or len(sender) > 320:
        raise Dropped("from_not_one_address")
    return _one_line(_safe(address.display_name or ""))[:200], sender


def _automatic(message: Message, sender: str) -> str | None:
    """Why the message looks machine-sent (RFC 3834 and what mail systems actually do), or None."""
    auto_submitted = _header(message, "Auto-Submitted").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return "auto_submitted"
    if _header(message, "Precedence").strip().lower() in _BULK_PRECEDENCE:
        return "bulk_precedence"
    if any(_header(message, name) for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply")):
        return "auto_reply"
    if message.get_content_type() == "multipart/report":
        return "delivery_report"
    if sender.rpartition("@")[0].lower() in _ROBOT_LOCAL_PARTS:
        return "mailer_daemon"
    return None
