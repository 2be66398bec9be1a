"""Email in on `make run`'s stack: a reply to ticket mail, stored in the inbound bucket with
`make mail-in` (devtools/mail_in.py), becomes a note within seconds, visible in the portal and
the agent API, with the notifications a portal reply sends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import boto3
import requests

from devtools.seed import DEMO_CLIENT_EMAIL, DEMO_CLIENT_PASSWORD
from tests.conftest import ROOT
from tests.e2e.test_local_stack import _login, local_stack  # noqa: F401 - the module-scoped stack fixture


def _sent(state: dict, template: str, to: str) -> list[dict]:
    from devtools.mail import sent_mail

    return [m for m in sent_mail(state["aws_endpoint_url"], state["region"])
            if m["template"] == template and to in m["to"]]


def _wait(check, seconds: float = 15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    return check()


def test_a_reply_to_ticket_mail_becomes_a_note_in_the_portal_and_the_agent_api(local_stack, tmp_path):  # noqa: F811
    state, _ = local_stack
    assert state["support_address"].startswith("support@") and state["inbound_bucket"]
    # The seeded ticket's agent reply was mailed to the demo client, with its reply address.
    [mail] = _wait(lambda: _sent(state, "ticket-note-created", DEMO_CLIENT_EMAIL))
    number, address = mail["data"]["ticket_number"], mail["data"]["reply_address"]
    reply = (f"From: Casey Client <{DEMO_CLIENT_EMAIL}>\nTo: {address}\nSubject: Re: New reply on your request "
             f"[#{number}]\nMessage-ID: <e2e-reply-1@acme.example>\nContent-Type: text/plain; charset=utf-8\n\n"
             "Version 5.2 on Windows 11.\n\nOn Mon, Nov 30, 2026 at 9:00 AM Support <support@portico.local> wrote:\n"
             "> Which VPN client version do you use?\n").encode()
    message = tmp_path / "reply.eml"
    message.write_bytes(reply)
    # `make mail-in FILE=...`, pointed at this stack's description (a copy of its stack.json).
    (tmp_path / "stack.json").write_text(json.dumps(state))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTICO_", "AWS_"))}
    stored = subprocess.run([sys.executable, "-m", "devtools.mail_in", str(message)], cwd=ROOT,
                            env={**env, "PORTICO_STATE_DIR": str(tmp_path)}, capture_output=True, text=True,
                            timeout=60, check=False)
    assert stored.returncode == 0, stored.stdout + stored.stderr

    agent = {"Authorization": _login(state)}

    def agent_notes() -> list[dict]:
        answer = requests.get(f"{state['api_url']}/agent/tickets/{number}/notes", headers=agent, timeout=10)
        return [n for n in answer.json()["items"] if n["author"]["kind"] == "client"]

    [note] = _wait(agent_notes, 10.0)
    assert note["body"] == "Version 5.2 on Windows 11." and note["internal"] is False

    portal = requests.Session()
    login = portal.post(f"{state['portal_url'].removesuffix('/portal')}/portal/login", timeout=10,
                        json={"email": DEMO_CLIENT_EMAIL, "password": DEMO_CLIENT_PASSWORD},
                        headers={"X-Requested-With": "portico"})
    assert login.status_code == 200, login.text
    token = login.json().get("token")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    seen = portal.get(f"{state['api_url']}/portal/tickets/{number}/notes", headers=headers, timeout=10).json()
    assert "Version 5.2 on Windows 11." in [n["body"] for n in seen["items"]]

    # As for a portal reply: the unassigned ticket's reply goes to the agents' shared address.
    [alert] = _wait(lambda: _sent(state, "ticket-note-created", "agents@portico.local"))
    assert alert["data"]["note_body"] == "Version 5.2 on Windows 11."

    s3 = boto3.client("s3", region_name=state["region"], endpoint_url=state["aws_endpoint_url"],
                      aws_access_key_id="x", aws_secret_access_key="x")
    listed = s3.list_objects_v2(Bucket=state["inbound_bucket"]).get("Contents", [])
    assert [o["Key"].split("/")[0] for o in listed] == ["processed"]  # handled once, marked
