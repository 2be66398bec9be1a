"""One-line fields (subjects, names, categories) refuse control characters: a CR/LF in a subject
would otherwise reach a mail subject's template data ("Hello\r\nBcc: ..."), a NUL cut a value."""

from __future__ import annotations

import pytest

HOSTILE = ["Hello\r\nBcc: evil@example.com", "line\nbreak", "nul\x00byte", "tab\there", "del\x7f", "c1\x85next"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_ticket_subject_or_category_with_a_control_character_is_refused_and_nothing_is_created(
        api, helpdesk, value):
    for field in ("subject", "category"):
        body = {"subject": "Printer", "description": "It jams.\nTwice a day.", field: value}
        answer = api.post("/portal/tickets", body, token=helpdesk.requester)
        assert answer.status == 400 and answer.code == "validation_error", (field, answer.json)
        assert field in answer.json["fields"]
    assert api.get("/portal/tickets", token=helpdesk.requester).json["items"] == []


def test_descriptions_and_notes_keep_their_line_breaks(api, helpdesk):
    answer = api.post("/portal/tickets", {"subject": "Printer", "description": "Line one\r\nLine two"},
                      token=helpdesk.requester)
    assert answer.status == 201
    assert answer.json["description"] == "Line one\r\nLine two"


@pytest.mark.parametrize("value", HOSTILE[:3])
def test_names_of_clients_and_organizations_refuse_control_characters(api, admin_token, helpdesk, value):
    client = api.post("/agent/clients", {"email": "ctl@acme.test", "name": value}, token=admin_token)
    organization = api.post("/agent/organizations", {"name": value}, token=admin_token)
    rename = api.patch(f"/agent/organizations/{helpdesk.org_id}", {"name": value}, token=admin_token)
    profile = api.patch("/portal/me", {"name": value}, token=helpdesk.requester)
    for what, answer in {"client": client, "organization": organization, "rename": rename,
                         "profile": profile}.items():
        assert answer.status == 400 and answer.code == "validation_error", (what, answer.json)
        assert "name" in answer.json["fields"], what


@pytest.mark.parametrize("value", ["acme\r\nBcc: evil@example.com", "nul\x00byte"])
def test_ids_and_filters_refuse_control_characters_too(api, admin_token, value):
    from urllib.parse import quote

    answers = {
        "client organization_id": api.post("/agent/clients", {"email": "ctl@acme.test", "organization_id": value},
                                           token=admin_token),
        "ticket requester_id": api.post("/agent/tickets", {"requester_id": value, "subject": "S",
                                                           "description": "D"}, token=admin_token),
        "clients q": api.get(f"/agent/clients?q={quote(value)}", token=admin_token),
        "tickets requester_id": api.get(f"/agent/tickets?requester_id={quote(value)}", token=admin_token),
        "organizations q": api.get(f"/agent/organizations?q={quote(value)}", token=admin_token),
    }
    for what, answer in answers.items():
        assert answer.status == 400 and answer.code == "validation_error", (what, answer.json)
