"""`make run`'s stack, started as a user would (python -m devtools.run), used from outside:
log in as the seeded agent through Cognito with .local/stack.json, call the API over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests

from tests.conftest import ROOT
from tests.tokens import mint


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("local")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTICO_", "AWS_"))}
    env.update({"PORTICO_PORT": str(_free_port()), "PORTICO_AWS_PORT": str(_free_port()),
                "PORTICO_STATE_DIR": str(state_dir)})
    process = subprocess.Popen([sys.executable, "-m", "devtools.run"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    stack_file = Path(state_dir) / "stack.json"
    deadline = time.monotonic() + 90
    state = None
    while time.monotonic() < deadline and process.poll() is None:
        if stack_file.exists():
            state = json.loads(stack_file.read_text())
            try:
                requests.get(state["api_url"] + "/openapi.json", timeout=2)
                break
            except requests.RequestException:  # not listening yet, or a slow first answer on a busy machine
                pass
        time.sleep(0.3)
    if state is None or process.poll() is not None:
        process.kill()
        pytest.fail("the local stack did not start:\n" + (process.stdout.read() if process.stdout else ""))
    yield state, process
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _login(state: dict) -> str:
    idp = boto3.client("cognito-idp", region_name=state["region"], endpoint_url=state["aws_endpoint_url"],
                       aws_access_key_id="x", aws_secret_access_key="x")
    answer = idp.initiate_auth(ClientId=state["user_pool_client_id"], AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": state["agent"]["email"],
                                               "PASSWORD": state["agent"]["password"]})
    return answer["AuthenticationResult"]["IdToken"]


def test_stack_json_describes_the_stack(local_stack):
    state, _ = local_stack
    assert set(state) >= {"api_url", "portal_url", "aws_endpoint_url", "region", "user_pool_id",
                          "user_pool_client_id", "agent"}
    assert state["api_url"].startswith("http://127.0.0.1:") and state["aws_endpoint_url"].startswith(
        "http://127.0.0.1:")


def test_an_outside_program_logs_in_as_the_seeded_agent_and_reads_settings(local_stack):
    state, _ = local_stack
    token = _login(state)
    answer = requests.get(state["api_url"] + "/agent/settings", headers={"Authorization": token}, timeout=10)
    assert answer.status_code == 200
    assert answer.json()["portal_enabled"] is True
    orgs = requests.get(state["api_url"] + "/agent/organizations", headers={"Authorization": token}, timeout=10)
    assert orgs.json()["items"], "the demo organization is seeded"


@pytest.mark.parametrize("header", ["garbage", "a.b.c", None])
def test_the_local_stack_refuses_garbage_and_missing_tokens(local_stack, header):
    state, _ = local_stack
    headers = {"Authorization": header} if header else {}
    answer = requests.get(state["api_url"] + "/agent/settings", headers=headers, timeout=10)
    assert answer.status_code == 401
    assert answer.json()["code"] == "unauthorized"


def test_the_local_stack_refuses_a_forged_token(local_stack):
    from joserfc.jwk import RSAKey

    state, _ = local_stack
    real = _login(state)
    header, payload, _signature = real.split(".")
    stranger_signed = mint(key=RSAKey.generate_key(2048))
    for forged in (f"{header}.{payload}.{stranger_signed.split('.')[2]}", stranger_signed):
        answer = requests.get(state["api_url"] + "/agent/settings", headers={"Authorization": forged}, timeout=10)
        assert answer.status_code == 401


def test_the_portal_page_is_served(local_stack):
    state, _ = local_stack
    answer = requests.get(state["portal_url"], timeout=10)
    assert answer.status_code == 200 and "text/html" in answer.headers["Content-Type"]


def test_ctrl_c_stops_everything(local_stack):
    state, process = local_stack
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(state["api_url"] + "/openapi.json", timeout=2)
    with pytest.raises(requests.ConnectionError):
        requests.get(state["aws_endpoint_url"] + "/moto-api/data.json", timeout=2)
