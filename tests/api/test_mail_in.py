"""Email in (product.md §8) through the handler deployed mail reaches (services/mail_in.py):
each rule, each bad input. Messages are stored in the inbound bucket as SES's S3 action would,
and the handler gets SES's notification for them (devtools/mail_in.notification)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.services import mail_in, mail_parse
from devtools import mail_in as local_mail_in

CORPUS = Path(__file__).resolve().parents[1] / "mail_corpus"
SUPPORT = "support@in.portico.example"
PLACEHOLDER = b"reply-address@in.portico.example"


def corpus(name: str, *, to: str = SUPPORT, sender: str = "rita@acme.test") -> bytes:
    raw = (CORPUS / name).read_bytes().replace(PLACEHOLDER, to.encode())
    for spelling in (b"jane@acme.test", b"Jane@Acme.test"):
        raw = raw.replace(spelling, sender.encode())
    return raw


def simple(*, to: str = SUPPORT, sender: str = "rita@acme.test", subject: str = "Scanner jams",
           body: str = "The scanner jams on every page.", message_id: str = "m-1@acme.test",
           headers: str = "") -> bytes:
    return (f"From: Rita <{sender}>\nTo: {to}\nSubject: {subject}\nMessage-ID: <{message_id}>\n{headers}"
            f"Content-Type: text/plain; charset=utf-8\n\n{body}\n").encode()


def receive(raw: bytes, *, key: str | None = None, **receipt: object) -> dict:
    """Store `raw` and hand the handler SES's notification (verdicts PASS unless overridden)."""
    key = key or local_mail_in.store(raw)
    notification = local_mail_in.notification(local_mail_in.config.inbound_bucket(), key, raw)
    notification["receipt"].update(receipt)
    return mail_in.handle_sns_message(json.dumps(notification))


def reply_address(outbox, template: str, to: str, field: str = "reply_address") -> str:
    return outbox.last(template, to)["data"][field]


def portal_notes(api, number: int, token: str) -> list[dict]:
    answer = api.get(f"/portal/tickets/{number}/notes", token=token)
    assert answer.status == 200, answer.json
    return answer.json["items"]


def agent_notes(api, number: int, token: str) -> list[dict]:
    answer = api.get(f"/agent/tickets/{number}/notes", token=token)
    assert answer.status == 200, answer.json
    return answer.json["items"]


# --- reply addresses on ticket mail ----------------------------------------------------------

def test_every_ticket_mail_carries_its_recipients_reply_address_and_sets_it_as_reply_to(helpdesk, outbox, mailbox):
    number = helpdesk.open_ticket()["number"]
    client = reply_address(outbox, "ticket-created", "rita@acme.test")
    assert client.startswith(f"reply+{number}.c") and client.endswith("@in.portico.example")
    agents = outbox.last("ticket-created", "agents@portico.test")["data"]
    assert agents["reply_address"].startswith(f"reply+{number}.a")
    assert agents["internal_reply_address"].startswith(f"note+{number}.a")
    sent: list[dict] = []
    mailbox._hook()
    mailbox._client.meta.events.register("provide-client-params.ses.SendTemplatedEmail",
                                         lambda params, **_: sent.append(params))
    mailbox.deliver()
    assert {p["Destination"]["ToAddresses"][0]: p.get("ReplyToAddresses") for p in sent
            if p["Template"].endswith("ticket-created")} == {
        "rita@acme.test": [client], "agents@portico.test": [agents["reply_address"]]}
    helpdesk.agent_patch(number, status="resolved")
    assert reply_address(outbox, "ticket-resolved", "rita@acme.test") == client


# --- a client's reply --------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "text"), [
    ("gmail_reply.eml", "Thanks, that fixed it — the printer works again.\n\nCould you also check the scanner?"),
    ("outlook_reply.eml", "Hi Bob,\n\nIt is still offline after the restart."),
    ("apple_mail_reply.eml", "Yes please, tomorrow at 10 works for me."),
    ("html_only.eml", "The new laptop & dock arrived.\n\nPlease set them up."),
])
def test_a_clients_reply_becomes_a_public_note_as_a_portal_reply_would(helpdesk, api, outbox, name, text):
    number = helpdesk.open_ticket()["number"]
    helpdesk.agent_patch(number, status="resolved")
    address = reply_address(outbox, "ticket-created", "rita@acme.test")
    assert receive(corpus(name, to=address)) == {"result": "note", "reason": "", "ticket_number": number}
    [note] = portal_notes(api, number, helpdesk.requester)
    assert note["body"] == text and note["author"]["kind"] == "client"
    assert agent_notes(api, number, helpdesk.manager)[0]["internal"] is False
    assert api.get(f"/portal/tickets/{number}", token=helpdesk.requester).json["status"] == "open"  # reopened
    assert outbox.last("ticket-note-created", "agents@portico.test")["data"]["note_body"] == text


def test_the_same_message_twice_or_redelivered_makes_one_note(helpdesk, api, outbox):
    number = helpdesk.open_ticket()["number"]
    raw = corpus("gmail_reply.eml", to=reply_address(outbox, "ticket-created", "rita@acme.test"))
    key = local_mail_in.store(raw)
    assert receive(raw, key=key)["result"] == "note"
    assert receive(raw, key=key)["result"] == "duplicate"  # SNS redelivers the same event
    assert receive(raw)["result"] == "duplicate"  # the same message sent again
    assert len(portal_notes(api, number, helpdesk.requester)) == 1


def test_a_reply_from_another_address_is_dropped(helpdesk, api, outbox):
    number = helpdesk.open_ticket()["number"]
    address = reply_address(outbox, "ticket-created", "rita@acme.test")
    assert receive(simple(to=address, sender="boss@acme.test"))["reason"] == "reply_address_not_valid_for_sender"
    assert portal_notes(api, number, helpdesk.requester) == []


def test_the_from_address_matches_whatever_its_case(helpdesk, api, outbox):
    number = helpdesk.open_ticket()["number"]
    address = reply_address(outbox, "ticket-created", "rita@acme.test")
    assert receive(simple(to=address.upper(), sender="RITA@Acme.TEST"))["result"] == "note"
    assert len(portal_notes(api, number, helpdesk.requester)) == 1


@pytest.mark.parametrize("forge", [
    lambda a: a.replace("reply+", "note+"), lambda a: a[:-25] + "aaaa" + a[-21:],
    lambda a: "reply+1000@in.portico.example",
])
def test_a_missing_or_forged_token_creates_nothing(helpdesk, api, outbox, forge):
    number = helpdesk.open_ticket()["number"]
    address = forge(reply_address(outbox, "ticket-created", "rita@acme.test"))
    assert receive(simple(to=address))["result"] == "dropped"
    assert portal_notes(api, number, helpdesk.requester) == []


def test_a_reply_to_a_blocked_or_closed_ticket_creates_nothing(helpdesk, api, outbox):
    blocked = helpdesk.open_ticket()["number"]
    blocked_address = reply_address(outbox, "ticket-created", "rita@acme.test")
    closed = helpdesk.open_ticket("Other")["number"]
    closed_address = reply_address(outbox, "ticket-created", "rita@acme.test")
    helpdesk.agent_patch(blocked, block_client_view=True)
    helpdesk.agent_patch(closed, status="closed")
    queued = len(outbox.messages())
    assert receive(simple(to=blocked_address, message_id="a@x"))["reason"] == "ticket_not_visible_to_sender"
    assert receive(simple(to=closed_address, message_id="b@x"))["reason"] == "ticket_closed"
    assert agent_notes(api, blocked, helpdesk.manager) == agent_notes(api, closed, helpdesk.manager) == []
    assert len(outbox.messages()) == queued


def test_a_disabled_clients_reply_creates_nothing(helpdesk, api, outbox, admin_token):
    number = helpdesk.open_ticket()["number"]
    address = reply_address(outbox, "ticket-created", "rita@acme.test")
    answer = api.patch(f"/agent/clients/{helpdesk.requester_id}", {"disabled": True}, token=admin_token)
    assert answer.status == 200, answer.json
    assert receive(simple(to=address))["reason"] == "sender_may_not_reply"
    assert agent_notes(api, number, helpdesk.manager) == []


def test_attachments_and_inline_images_become_the_notes_files_and_refused_ones_are_listed(helpdesk, api, outbox):
    number = helpdesk.open_ticket()["number"]
    address = reply_address(outbox, "ticket-created", "rita@acme.test")
    assert receive(corpus("with_attachments.eml", to=address))["result"] == "note"
    [note] = portal_notes(api, number, helpdesk.requester)
    assert sorted(f["filename"] for f in note["attachments"]) == ["part-3.png", "report.pdf"]
    assert note["body"].startswith("Here is the error and the report.")
    assert "[Not attached: setup.exe (this type of file is not accepted)]" in note["body"]
    file_id = next(f["id"] for f in note["attachments"] if f["filename"] == "report.pdf")
    link = api.get(f"/portal/tickets/{number}/attachments/{file_id}", token=helpdesk.requester)
    assert link.status == 302
    import requests

    assert requests.get(link.headers["location"], timeout=10).content.startswith(b"%PDF-1.4")


def test_files_over_the_upload_limits_are_skipped_and_listed(helpdesk, api, outbox):
    helpdesk.set_settings(upload_max_files=1)
    number = helpdesk.open_ticket()["number"]
    address = reply_address(outbox, "ticket-created", "rita@acme.test")
    receive(corpus("with_attachments.eml", to=address))
    [note] = portal_notes(api, number, helpdesk.requester)
    assert [f["filename"] for f in note["attachments"]] == ["part-3.png"]
    assert "report.pdf (at most 1 files)" in note["body"]


def test_a_hundred_refused_files_are_listed_briefly_and_the_note_stays_within_its_limit(helpdesk, api, outbox):
    number = helpdesk.open_ticket()["number"]
    address = reply_address(outbox, "ticket-created", "rita@acme.test")
    text = "\n".join(f"Line {n} of a long report about the scanner." for n in range(600))[:19_990]
    parts = "".join(f"--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; "
                    f"filename=tool{n}.exe\n\nMZ\n" for n in range(1, 101))
    raw = (f"From: rita@acme.test\nTo: {address}\nSubject: Re: x\nMessage-ID: <many@acme.test>\n"
           f"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n{text}\n"
           f"{parts}--b--\n").encode()
    assert receive(raw)["result"] == "note"
    [note] = portal_notes(api, number, helpdesk.requester)
    assert len(note["body"]) <= mail_parse.MAX_TEXT and note["attachments"] == []
    assert note["body"].startswith("Line 0 of a long report") and "[truncated]" in note["body"]
    listed = note["body"].rpartition("[Not attached: ")[2]
    assert listed.startswith("tool1.exe (") and "tool20.exe (" in listed and "tool21.exe" not in listed
    assert listed.endswith(", and 80 more]")


# --- an agent's reply ----------------------------------------------------------------------------

def test_an_agents_reply_is_public_unless_sent_to_the_internal_variant(helpdesk, api, outbox):
    number = helpdesk.open_ticket()["number"]
    helpdesk.agent_patch(number, assignees=[helpdesk.manager_name])
    api.post(f"/portal/tickets/{number}/notes", {"body": "Any news?"}, token=helpdesk.requester)
    data = outbox.last("ticket-note-created", "manager@helpdesk.test")["data"]
    assert receive(simple(to=data["reply_address"], sender="manager@helpdesk.test", body="On my way.",
                          message_id="p@x"))["result"] == "note"
    assert receive(simple(to=data["internal_reply_address"], sender="Manager@helpdesk.test",
                          body="Needs a new fuser.", message_id="i@x"))["result"] == "note"
    seen = [n["body"] for n in portal_notes(api, number, helpdesk.requester)]
    assert seen == ["Any news?", "On my way."]
    notes = agent_notes(api, number, helpdesk.manager)
    assert [(n["body"], n["internal"], n["author"]["kind"]) for n in notes[1:]] == [
        ("On my way.", False, "agent"), ("Needs a new fuser.", True, "agent")]
    assert outbox.last("ticket-note-created", "rita@acme.test")["data"]["note_body"] == "On my way."


def test_an_agent_address_used_by_a_client_is_dropped(helpdesk, outbox, api):
    number = helpdesk.open_ticket()["number"]
    address = outbox.last("ticket-created", "agents@portico.test")["data"]["internal_reply_address"]
    assert receive(simple(to=address))["reason"] == "reply_address_not_valid_for_sender"
    assert agent_notes(api, number, helpdesk.manager) == []


# --- mail to the support address ------------------------------------------------------------------

def test_an_active_clients_mail_to_the_support_address_opens_a_ticket(helpdesk, api, outbox):
    outcome = receive(corpus("forwarded.eml"))
    assert outcome["result"] == "ticket"
    ticket = api.get(f"/portal/tickets/{outcome['ticket_number']}", token=helpdesk.requester).json
    assert ticket["subject"] == "Fwd: Invoice 2026-118 is wrong"
    assert "invoice 2026-118 for EUR 2,400.00" in ticket["description"]
    assert outbox.last("ticket-created", "rita@acme.test")["data"]["ticket_number"] == outcome["ticket_number"]


def test_control_characters_in_the_subject_are_removed(helpdesk, api):
    outcome = receive(simple(subject="=?utf-8?q?Scanner=07_jams=E2=80=AE_again?="))
    ticket = api.get(f"/portal/tickets/{outcome['ticket_number']}", token=helpdesk.requester).json
    assert ticket["subject"] == "Scanner jams again"


def test_an_unknown_sender_is_rejected_by_default(helpdesk, outbox, api):
    queued = len(outbox.messages())
    assert receive(simple(sender="new@stranger.test"))["reason"] == "unknown_sender"
    assert len(outbox.messages()) == queued
    assert api.get("/agent/clients?email=new@stranger.test", token=helpdesk.admin).json["items"] == []


def test_create_client_makes_an_inactive_client_without_invitation_and_accepts_its_later_mail(helpdesk, outbox,
                                                                                                api):
    helpdesk.set_settings(email_unknown_senders="create_client")
    first = receive(simple(sender="new@stranger.test", message_id="1@s"))
    assert first["result"] == "ticket"
    [client] = api.get("/agent/clients?email=new@stranger.test", token=helpdesk.admin).json["items"]
    assert client["status"] == "inactive"
    # in the client directory, by a word of its name or its email, as any created client
    for query in ("q=rita", "q=new%40str"):
        found = api.get(f"/agent/clients?{query}", token=helpdesk.admin).json["items"]
        assert client["id"] in [c["id"] for c in found], query
    assert outbox.messages(to="new@stranger.test") == []  # no invitation, no confirmation
    assert outbox.last("ticket-created", "agents@portico.test")["data"]["ticket_number"] == first["ticket_number"]
    assert receive(simple(sender="new@stranger.test", message_id="2@s"))["result"] == "ticket"
    helpdesk.set_settings(email_unknown_senders="reject")
    assert receive(simple(sender="new@stranger.test", message_id="3@s"))["reason"] == "client_not_active"


def test_a_disabled_or_removed_clients_mail_creates_nothing(helpdesk, api, outbox, admin_token):
    api.patch(f"/agent/clients/{helpdesk.requester_id}", {"disabled": True}, token=admin_token)
    assert receive(simple(message_id="d@x"))["reason"] == "client_not_active"
    stranger_ticket = api.post("/portal/tickets", {"subject": "Mine", "description": "x"}, token=helpdesk.stranger)
    address = reply_address(outbox, "ticket-created", "peter@initech.test")
    assert api.delete(f"/agent/clients/{helpdesk.stranger_id}", token=admin_token).status == 204
    # Removed: its address has no account any more (an unknown sender), its reply addresses no client.
    assert receive(simple(sender="peter@initech.test", message_id="r@x"))["reason"] == "unknown_sender"
    assert receive(simple(to=address, sender="peter@initech.test", message_id="s@x"))["reason"] == \
        "sender_may_not_reply"
    assert agent_notes(api, stranger_ticket.json["number"], helpdesk.manager) == []


# --- safety ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("receipt", "reason"), [
    ({"spamVerdict": {"status": "FAIL"}}, "spam"),
    ({"virusVerdict": {"status": "FAIL"}}, "virus"),
    ({"spfVerdict": {"status": "FAIL"}, "dkimVerdict": {"status": "FAIL"}}, "spf_and_dkim_not_passed"),
    # A forged From: the sender's domain vouches for nothing (no DKIM signature: GRAY).
    ({"spfVerdict": {"status": "FAIL"}, "dkimVerdict": {"status": "GRAY"}}, "spf_and_dkim_not_passed"),
    ({"spfVerdict": {"status": "GRAY"}, "dkimVerdict": {"status": "PROCESSING_FAILED"}}, "spf_and_dkim_not_passed"),
    ({"spfVerdict": {}, "dkimVerdict": {}}, "spf_and_dkim_not_passed"),
    ({"dmarcVerdict": {"status": "FAIL"}, "dmarcPolicy": "REJECT"}, "dmarc_failed"),
    ({"dmarcVerdict": {"status": "FAIL"}, "dmarcPolicy": "NONE"}, "dmarc_failed"),
    ({"dmarcVerdict": {"status": "FAIL"}, "dmarcPolicy": "QUARANTINE"}, "dmarc_failed"),
])
def test_ses_verdicts_drop_the_message(helpdesk, receipt, reason):
    assert receive(simple(), **receipt) == {"result": "dropped", "reason": reason, "ticket_number": None}


@pytest.mark.parametrize("receipt", [
    {"spfVerdict": {"status": "PASS"}, "dkimVerdict": {"status": "GRAY"}},
    {"spfVerdict": {"status": "FAIL"}, "dkimVerdict": {"status": "PASS"}},
    {"spfVerdict": {"status": "GRAY"}, "dkimVerdict": {"status": "PASS"}, "dmarcVerdict": {"status": "GRAY"}},
])
def test_spf_or_dkim_passing_is_enough_when_dmarc_does_not_fail(helpdesk, receipt):
    assert receive(simple(), **receipt)["result"] == "ticket"


def test_the_local_worker_gives_ordinary_mail_passing_verdicts():
    receipt = local_mail_in.notification("bucket", "inbound/k", simple())["receipt"]
    assert mail_in.verdict_refusal(receipt) is None
    assert {receipt[v]["status"] for v in ("spfVerdict", "dkimVerdict", "dmarcVerdict")} == {"PASS"}


@pytest.mark.parametrize(("name", "reason"), [("auto_reply.eml", "auto_submitted"),
                                               ("bounce_dsn.eml", "auto_submitted")])
def test_auto_replies_and_bounces_create_nothing(helpdesk, outbox, name, reason):
    queued = len(outbox.messages())
    assert receive(corpus(name))["reason"] == reason
    assert len(outbox.messages()) == queued


def test_mail_from_portico_itself_is_dropped(helpdesk):
    assert receive(simple(sender="support@portico.test"))["reason"] == "own_sender"
    assert receive(simple(sender="reply+1.x.1.y@in.portico.example"))["reason"] == "own_sender"


def test_at_most_n_messages_per_sender_an_hour_create_anything(helpdesk):
    helpdesk.set_settings(email_in_per_sender_hour=2)
    results = [receive(simple(message_id=f"{n}@flood"))["result"] for n in range(3)]
    assert results == ["ticket", "ticket", "dropped"]


def test_mail_to_an_address_that_is_not_ours_is_dropped(helpdesk):
    assert receive(simple(to="someone@in.portico.example"))["reason"] == "not_sent_to_a_known_address"


@pytest.mark.parametrize(("raw", "reason"), [
    (b"From: a@b.test, rita@acme.test\nTo: support@in.portico.example\nSubject: x\n\nhi\n", "from_not_one_address"),
    (b"\x00\xff garbage", "from_not_one_address"),
])
def test_bad_messages_are_dropped_with_a_reason(helpdesk, raw, reason):
    outcome = receive(raw, recipients=[SUPPORT])
    assert outcome["result"] == "dropped" and outcome["reason"] in (reason, "malformed")


def test_a_message_over_the_size_limit_is_not_even_read(helpdesk, monkeypatch):
    monkeypatch.setattr(mail_parse, "MAX_MESSAGE_BYTES", 100)
    assert receive(simple(body="x" * 200))["reason"] == "too_large"


def test_a_header_block_over_256_kb_is_dropped(helpdesk):
    raw = simple(headers="X-Filler: " + "y" * (300 * 1024) + "\n")
    assert receive(raw)["reason"] == "headers_too_large"


def test_a_message_with_500_parts_is_dropped(helpdesk):
    parts = "".join("--b\nContent-Type: text/plain\n\npart\n" for _ in range(500))
    raw = (f"From: rita@acme.test\nTo: {SUPPORT}\nSubject: x\nContent-Type: multipart/mixed; boundary=b\n\n"
           f"{parts}--b--\n").encode()
    assert receive(raw)["reason"] == "too_many_parts"


def test_notifications_that_are_not_ours_are_dropped(helpdesk):
    assert mail_in.handle_sns_message("not json")["reason"] == "notification_not_json"
    assert mail_in.handle_sns_message(json.dumps({"notificationType": "Bounce"}))["result"] == "dropped"
    raw = simple()
    assert receive(raw, action={"type": "S3", "bucketName": "elsewhere", "objectKey": "inbound/x"})["reason"] == \
        "not_in_the_inbound_bucket"
    assert receive(raw, key="inbound/missing")["reason"] == "message_object_missing"


def test_the_deployed_sns_handler_takes_the_notification(helpdesk):
    from app import handle_inbound_mail
    from devtools.mail_feedback import sns_event

    raw = simple()
    key = local_mail_in.store(raw)
    notification = local_mail_in.notification(local_mail_in.config.inbound_bucket(), key, raw)
    notification["mail"]["timestamp"] = "2026-11-30T10:00:00.000Z"
    assert handle_inbound_mail(sns_event(notification), None)["result"] == "ticket"


# --- watchers and CC'd clients (product.md §12) ------------------------------------------------

def _client_of(address: str, sender: str) -> str:
    """The client id a reply address was issued to, for `sender` (its signature holds)."""
    from chalicelib.services import reply_addresses

    token = reply_addresses.verify(address, sender)
    assert token is not None and token.recipient_kind == reply_addresses.CLIENT
    return token.recipient


def test_watchers_and_cc_get_their_own_reply_address_and_a_cc_reply_is_a_public_note(helpdesk, api, portal,
                                                                                    outbox):
    carl, _ = portal.active_client("carl@acme.test", organization_id=helpdesk.org_id)
    boss_id = api.get("/portal/me", token=helpdesk.org_admin).json["id"]
    number = helpdesk.open_ticket()["number"]
    assert helpdesk.agent_patch(number, cc=[carl["id"]]).status == 200
    api.put(f"/portal/tickets/{number}/watch", {"events": ["public_reply", "status", "resolved"]},
            token=helpdesk.org_admin)
    api.post(f"/agent/tickets/{number}/notes", {"body": "We are on it"}, token=helpdesk.manager)
    copies = {to: reply_address(outbox, "ticket-note-created", to)
              for to in ("rita@acme.test", "carl@acme.test", "boss@acme.test")}
    assert len(set(copies.values())) == 3
    assert _client_of(copies["rita@acme.test"], "rita@acme.test") == helpdesk.requester_id
    assert _client_of(copies["carl@acme.test"], "carl@acme.test") == carl["id"]
    assert _client_of(copies["boss@acme.test"], "boss@acme.test") == boss_id
    helpdesk.agent_patch(number, status="pending")  # a watcher's status mail carries theirs too
    assert reply_address(outbox, "ticket-status-changed", "boss@acme.test") == copies["boss@acme.test"]
    # Carl's address is Carl's: nobody else may use it
    wrong = receive(simple(to=copies["carl@acme.test"], message_id="r-1@acme.test"))
    assert wrong["reason"] == "reply_address_not_valid_for_sender"
    outcome = receive(simple(to=copies["carl@acme.test"], sender="carl@acme.test", body="Carl here: same on floor 2.",
                             message_id="c-1@acme.test"))
    assert outcome == {"result": "note", "reason": "", "ticket_number": number}
    [*_, note] = portal_notes(api, number, helpdesk.requester)
    assert note["body"] == "Carl here: same on floor 2." and note["author"]["kind"] == "client"
    assert agent_notes(api, number, helpdesk.manager)[-1]["internal"] is False
    # the watching client admin's reply too (they see their organization's tickets)
    assert receive(simple(to=copies["boss@acme.test"], sender="boss@acme.test", body="Boss agrees.",
                          message_id="b-1@acme.test"))["result"] == "note"
    helpdesk.agent_patch(number, status="resolved")
    assert reply_address(outbox, "ticket-resolved", "carl@acme.test") == copies["carl@acme.test"]
    assert reply_address(outbox, "ticket-resolved", "boss@acme.test") == copies["boss@acme.test"]


def test_a_watcher_who_no_longer_sees_the_ticket_cannot_reply_by_mail(helpdesk, api, portal, outbox):
    boss_id = api.get("/portal/me", token=helpdesk.org_admin).json["id"]
    number = helpdesk.open_ticket()["number"]
    api.put(f"/portal/tickets/{number}/watch", {"events": ["public_reply"]}, token=helpdesk.org_admin)
    api.post(f"/agent/tickets/{number}/notes", {"body": "We are on it"}, token=helpdesk.manager)
    address = reply_address(outbox, "ticket-note-created", "boss@acme.test")
    # no longer a client admin: the ticket is a colleague's, which a plain client does not see
    demoted = api.patch(f"/agent/clients/{boss_id}", {"role": "client_user"}, token=portal.agent_token)
    assert demoted.status == 200, demoted.json
    outcome = receive(simple(to=address, sender="boss@acme.test", message_id="b-2@acme.test"))
    assert outcome == {"result": "dropped", "reason": "ticket_not_visible_to_sender", "ticket_number": None}
    assert len(portal_notes(api, number, helpdesk.requester)) == 1  # the agent's only
