"""`make run`: the whole local stack on loopback, no AWS account needed.

moto (server mode) stands in for AWS; we create the tables, SES sender and templates,
the agents' Cognito pool, a super-user agent and demo data; then serve the app with
Chalice's local server and run the background worker. Ctrl-C stops everything.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("PORTICO_STATE_DIR", ROOT / ".local"))
STACK_FILE = STATE_DIR / "stack.json"
HOST = "127.0.0.1"


def local_environment(aws_port: int, port: int) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",  # moto accepts anything
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "AWS_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "PORTICO_STAGE": "local",
        "PORTICO_AWS_ENDPOINT_URL": f"http://{HOST}:{aws_port}",
        "PORTICO_PORTAL_URL": f"http://{HOST}:{port}/portal",
        "PORTICO_MAIL_SENDER": os.environ.get("PORTICO_MAIL_SENDER", "support@portico.local"),
        "PORTICO_AGENTS_EMAIL": os.environ.get("PORTICO_AGENTS_EMAIL", "agents@portico.local"),
        # Created by stack.create_mail; every send names it, as deployed (bounce/complaint events).
        "PORTICO_MAIL_CONFIGURATION_SET": os.environ.get("PORTICO_MAIL_CONFIGURATION_SET", "portico-local-events"),
        # Email in (product.md §8): reply addresses are on this domain; mail to the support
        # address opens tickets (`make mail-in FILE=message.eml`).
        "PORTICO_INBOUND_DOMAIN": os.environ.get("PORTICO_INBOUND_DOMAIN", "in.portico.local"),
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
    }


def seed_demo_data() -> dict[str, str]:
    """A demo organization, and demo clients when the client-accounts capability is there."""
    from devtools import seed

    return seed.seed()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("werkzeug", "botocore", "pynamodb", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    aws_port = int(os.environ.get("PORTICO_AWS_PORT", "5000"))
    port = int(os.environ.get("PORTICO_PORT", "8000"))
    os.environ.update(local_environment(aws_port, port))

    from moto.server import ThreadedMotoServer

    moto = ThreadedMotoServer(ip_address=HOST, port=aws_port, verbose=False)
    moto.start()

    from chalicelib import config
    from devtools import stack
    from devtools.localserver import ServerThread
    from devtools.worker import Worker

    stack.create_tables()
    stack.create_mail(os.environ["PORTICO_MAIL_SENDER"])
    attachments_bucket = stack.create_attachments_bucket()
    inbound_bucket = stack.create_inbound_bucket()
    pool = stack.create_cognito()
    stack.apply_environment(stack.environment(pool))
    agent_email = os.environ.get("PORTICO_AGENT_EMAIL", "admin@portico.local")
    agent_password = os.environ.get("PORTICO_AGENT_PASSWORD") or f"Portico-{secrets.token_urlsafe(9)}-1a"
    stack.create_agent(pool, agent_email, agent_password, ["admins"], name="Demo Admin")
    demo = seed_demo_data()

    api_url = f"http://{HOST}:{port}"
    state = {
        "api_url": api_url,
        "portal_url": f"{api_url}/portal",
        "aws_endpoint_url": os.environ["PORTICO_AWS_ENDPOINT_URL"],
        "region": os.environ["AWS_REGION"],
        "attachments_bucket": attachments_bucket,
        "inbound_bucket": inbound_bucket,
        "support_address": config.get_config().support_address,
        "user_pool_id": pool.user_pool_id,
        "user_pool_client_id": pool.user_pool_client_id,
        "agent": {"email": agent_email, "password": agent_password},
        "demo": demo,
    }
    STATE_DIR.mkdir(exist_ok=True)
    STACK_FILE.write_text(json.dumps(state, indent=2) + "\n")

    server = ServerThread(HOST, port).start()
    from chalicelib import jobs
    from devtools.mail_in import process_inbound

    # SES receiving's stand-in: messages put under inbound/ reach the handler within seconds.
    jobs.LOCAL_WORKERS.append(("mail-in", 1.0, process_inbound))
    worker = Worker().start()
    print_banner(state)

    stopping = {"done": False}

    def stop(*_: object) -> None:
        if stopping["done"]:
            return
        stopping["done"] = True
        print("\nStopping the local stack...", flush=True)
        worker.stop()
        server.stop()
        moto.stop()

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    # A shell starting `make run` in the background (`make run &`, CI scripts) hands it SIGINT
    # ignored, and Python then never raises KeyboardInterrupt: Ctrl-C must stop it all the same.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        server.thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        stop()
    return 0


def print_banner(state: dict) -> None:
    lines = [
        "",
        "Portico local stack is up (Ctrl-C stops everything).",
        f"  Portal (clients):   {state['portal_url']}",
        f"  API (agents):       {state['api_url']}   OpenAPI: {state['api_url']}/openapi.json",
        f"  AWS stand-in:       {state['aws_endpoint_url']} (moto)",
        f"  Agent (admins):     {state['agent']['email']} / {state['agent']['password']}",
        "  Agent ID token:     make agent-token     (then: curl -H \"Authorization: $(make -s agent-token)\" "
        f"{state['api_url']}/agent/settings)",
        f"  Mail in:            make mail-in FILE=message.eml   (support address: {state['support_address']})",
        "  Mail SES sent:      make mail            (or GET "
        f"{state['aws_endpoint_url']}/moto-api/data.json -> ses.TemplateMessage)",
        f"  Stack details:      {STACK_FILE}",
    ]
    for key, value in (state.get("demo") or {}).items():
        lines.append(f"  Demo {key + ':':<14}{value}")
    print("\n".join(lines) + "\n", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
