"""Helpers the tests share: a thin JSON client over chalice.test.Client, agent tokens, the mailbox."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.config import get_config
from chalicelib.mail.templates import logical_template_name
from devtools import stack

AGENT_PASSWORD = "Correct-Horse-42-battery"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def code(self) -> str | None:
        data = self.json
        return data.get("code") if isinstance(data, dict) else None


# The public portal POSTs (routes/portal_sign_in.py, `same_site_only`): they refuse a request
# without `X-Requested-With: portico`, which the portal page always sends; the helper sends it
# as the page does unless `same_site=False` (tests of that refusal). Session writes are not
# listed: their CSRF check (cookie sessions only) stays the test's own business.
SAME_SITE_POSTS = ("/portal/login", "/portal/logout", "/portal/signup", "/portal/signup/verify", "/portal/activate",
                   "/portal/password/forgot", "/portal/password/reset", "/portal/email/verify")


class Api:
    def __init__(self, client: Any) -> None:
        self.client = client

    def request(self, method: str, path: str, *, token: str | None = None, json_body: Any = None,
                body: bytes | str | None = None, headers: dict[str, str] | None = None,
                same_site: bool = True) -> Answer:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if same_site and method == "POST" and path.split("?")[0] in SAME_SITE_POSTS:
            sent.setdefault("X-Requested-With", "portico")
        if token is not None:
            sent["Authorization"] = token
        if json_body is not None:
            body = json.dumps(json_body)
        response = self.client.http.request(method, path, headers=sent, body=body or b"")
        return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.body)

    def get(self, path: str, **kw: Any) -> Answer:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Answer:
        return self.request("POST", path, json_body=json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Answer:
        return self.request("PATCH", path, json_body=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> Answer:
        return self.request("PUT", path, json_body=json, **kw)

    def delete(self, path: str, **kw: Any) -> Answer:
        return self.request("DELETE", path, **kw)


class AgentFactory:
    """Creates agents in the test's Cognito pool and logs them in for real."""

    def __init__(self, pool: stack.CognitoPool) -> None:
        self.pool = pool
        self._tokens: dict[str, str] = {}

    def token(self, email: str, groups: list[str], name: str = "") -> str:
        if email not in self._tokens:
            stack.create_agent(self.pool, email, AGENT_PASSWORD, groups, name=name)
            self._tokens[email] = stack.agent_id_token(self.pool, email, AGENT_PASSWORD)
        return self._tokens[email]


@dataclass(frozen=True)
class SentMail:
    """One email SES (moto) accepted: the template, who it went to, the parsed template data."""

    template: str
    to: list[str]
    data: dict[str, Any]
    source: str
    ses_message_id: str


class Mailbox:
    """The mail SES has sent during this test (read from the moto server), and delivery on demand.

    Capabilities that send mail test it like this (fixture `mailbox`):

        answer = api.post("/agent/clients", json=..., token=admin_token)   # queues mail in the outbox
        assert mailbox.messages() == []             # nothing is sent inside the request
        mailbox.deliver()                           # run the outbox sweeper once, as deployed
        mail = mailbox.one(template="client-invitation", to="ana@acme.test")   # exactly one, or fail
        assert mail.data["activation_url"].startswith("http://portal.test/portal")
        assert mailbox.messages(to="someone@else.test") == []                 # filters: template=, to=

    Fault injection (SES answers an error for the next K sends, then recovers):

        mailbox.fail_next(3, code="Throttling")
        mailbox.deliver_all()     # delivers, advancing the clock past each retry's backoff

    `mailbox.queued(status=...)` lists outbox items (e.g. to see `failed` ones);
    `mailbox.send_calls` counts SendTemplatedEmail calls, failed ones included.
    """

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.send_calls = 0
        self._failures: list[tuple[str, int, str]] = []
        self._slow_seconds = 0.0
        self._client: Any = None

    # --- reading what SES sent ------------------------------------------------------------
    def messages(self, template: str | None = None, to: str | None = None) -> list[SentMail]:
        import requests

        data = requests.get(f"{self.endpoint_url}/moto-api/data.json", timeout=10).json()
        sent = []
        for raw in data.get("ses", {}).get("TemplateMessage", []):
            recipients = [a for field in ("ToAddresses", "CcAddresses", "BccAddresses")
                          for a in (raw.get("destinations") or {}).get(field, [])]
            # SES names carry the stage (portico-test-...); tests speak of the logical name.
            template_name = logical_template_name(raw["template"], get_config().stage)
            sent.append(SentMail(template=template_name, to=recipients,
                                 data=json.loads(raw.get("template_data") or "{}"),
                                 source=raw.get("source", ""), ses_message_id=raw.get("id", "")))
        return [m for m in sent
                if (template is None or m.template == template)
                and (to is None or to.lower() in (a.lower() for a in m.to))]

    def one(self, template: str | None = None, to: str | None = None) -> SentMail:
        found = self.messages(template=template, to=to)
        if len(found) != 1:
            unsent = [(m.template, m.status, m.last_error) for m in self.queued() if m.status != "sent"]
            hint = "; did you call mailbox.deliver()?" if any(u[1] == "pending" for u in unsent) else ""
            raise AssertionError(f"expected exactly one email (template={template}, to={to}), got {found}; "
                                 f"not sent from the outbox (template, status, last_error): {unsent}{hint}")
        return found[0]

    def queued(self, status: str | None = None) -> list[Any]:
        """Outbox items (test-only read of the whole table)."""
        from chalicelib.models.outbox import OutboxModel

        items = sorted(OutboxModel.scan(), key=lambda m: (m.created_at, m.id))
        return [m for m in items if status is None or m.status == status]

    # --- delivering -----------------------------------------------------------------------
    def deliver(self, at: datetime | None = None) -> dict[str, int]:
        """Run the outbox sweeper once (everything due at `at`, default now); returns outcome counts."""
        from chalicelib.services import mail_delivery

        self._hook()
        return dict(mail_delivery.deliver_due(now=at))

    def deliver_all(self, rounds: int = 30) -> None:
        """Deliver until nothing is pending, jumping the clock an hour per round so every
        retry's backoff has passed. Fails if messages are still pending after `rounds`."""
        from chalicelib.ids import utcnow

        start = utcnow()
        for n in range(rounds):
            self.deliver(at=start + timedelta(hours=n))
            if not [m for m in self.queued() if m.status in ("pending", "sending")]:
                return
        raise AssertionError(f"mail still pending after {rounds} delivery rounds: {self.queued()}")

    # --- SES fault injection ----------------------------------------------------------------
    def fail_next(self, times: int, code: str = "Throttling", status: int = 400,
                  message: str = "Maximum sending rate exceeded.") -> None:
        """SES answers `code` to the next `times` SendTemplatedEmail calls, then works again."""
        self._hook()
        self._failures.extend([(code, status, message)] * times)

    def recover(self) -> None:
        """SES works again: the failures still queued by `fail_next` are dropped."""
        self._failures.clear()

    def slow_sends(self, seconds: float) -> None:
        """Every SendTemplatedEmail takes this long (to make deliverers overlap)."""
        self._hook()
        self._slow_seconds = seconds

    def _hook(self) -> None:
        from chalicelib.services import mail_delivery

        client = mail_delivery.ses_client()
        if self._client is not client:
            self.close()
            client.meta.events.register("before-call.ses.SendTemplatedEmail", self._before_send,
                                        unique_id="tests-mailbox")
            self._client = client

    def _before_send(self, **_: Any) -> Any:
        import time

        from botocore.awsrequest import AWSResponse

        self.send_calls += 1
        if self._slow_seconds:
            time.sleep(self._slow_seconds)
        if not self._failures:
            return None  # the real call goes ahead
        code, status, message = self._failures.pop(0)
        parsed = {"Error": {"Code": code, "Message": message, "Type": "Sender"},
                  "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0}}
        return AWSResponse(self.endpoint_url, status, {}, None), parsed

    def close(self) -> None:
        if self._client is not None:
            self._client.meta.events.unregister("before-call.ses.SendTemplatedEmail", unique_id="tests-mailbox")
            self._client = None


class Outbox:
    """Reads the mail outbox table (what will be sent). Tests may scan; the app never does."""

    def messages(self, template: str | None = None, to: str | None = None) -> list[dict[str, Any]]:
        from chalicelib.models.outbox import OutboxModel

        found = [{"id": m.id, "template": m.template, "to": m.recipient, "data": json.loads(m.data),
                  "created_at": m.created_at, "reason": m.reason} for m in OutboxModel.scan()]
        found = [m for m in found if (template is None or m["template"] == template)
                 and (to is None or m["to"].lower() == to.lower())]
        return sorted(found, key=lambda m: m["created_at"])

    def last(self, template: str, to: str) -> dict[str, Any]:
        found = self.messages(template, to)
        assert found, f"no {template} email queued for {to}"
        return found[-1]

    def link_token(self, template: str, to: str, key: str) -> str:
        """The token in the link of the last such email (e.g. key="activation_url")."""
        url = self.last(template, to)["data"][key]
        return url.split("token=", 1)[1]


class Clock:
    """Moves `utcnow()` for every chalicelib module (they import it by name)."""

    def __init__(self, monkeypatch: Any) -> None:
        import importlib
        import pkgutil
        import sys
        from datetime import timedelta

        import chalicelib
        from chalicelib import ids

        # Import every module now: one imported lazily during this test would take the fake
        # by name and keep it after the test, stale, and no later Clock would recognise it.
        for module_info in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
            importlib.import_module(module_info.name)
        self.offset = timedelta()
        real = ids.utcnow

        def fake() -> Any:
            return real() + self.offset

        for name, module in list(sys.modules.items()):
            if name.startswith("chalicelib") and getattr(module, "utcnow", None) is real:
                monkeypatch.setattr(module, "utcnow", fake)
        self.now = fake

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.offset += timedelta(**delta)


CLIENT_PASSWORD = "Blue-Harbour-Lantern-91"


class Portal:
    """Client accounts driven through the HTTP API, as agents and clients would."""

    def __init__(self, api: Api, agent_token: str, outbox: Outbox) -> None:
        self.api, self.agent_token, self.outbox = api, agent_token, outbox

    def create_client(self, email: str, *, invite: bool = True, **fields: Any) -> dict[str, Any]:
        answer = self.api.post("/agent/clients", {"email": email, "send_invitation": invite, **fields},
                               token=self.agent_token)
        assert answer.status == 201, answer.json
        return answer.json

    def activation_token(self, email: str) -> str:
        return self.outbox.link_token("portal-welcome", email, "activation_url")

    def activate(self, email: str, password: str = CLIENT_PASSWORD, name: str = "Ada Client") -> Answer:
        return self.api.post("/portal/activate", {"token": self.activation_token(email), "name": name,
                                                  "password": password})

    def active_client(self, email: str, **fields: Any) -> tuple[dict[str, Any], str]:
        """A client invited and activated; returns (client, session token)."""
        client = self.create_client(email, **fields)
        answer = self.activate(email)
        assert answer.status == 200, answer.json
        return client, answer.json["token"]

    def login(self, email: str, password: str = CLIENT_PASSWORD) -> Answer:
        return self.api.post("/portal/login", {"email": email, "password": password})

    @staticmethod
    def bearer(token: str) -> str:
        return f"Bearer {token}"


def missing_from_stand_in(pool: stack.CognitoPool) -> list[str]:
    """What a test's AWS lacks of what `aws_stack` promises (every table, the mail templates,
    the agents' pool), read from the moto backends of this process: no request, so it can run
    before every test. Empty when all is there."""
    from moto.cognitoidp.models import cognitoidp_backends
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.ses.models import ses_backends

    from chalicelib.config import aws_region
    from chalicelib.models import table_models

    region = aws_region()
    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables
    missing = [f"table {model.Meta.table_name}" for model in table_models().values()
               if model.Meta.table_name not in tables]
    if not ses_backends[DEFAULT_ACCOUNT_ID][region].templates:
        missing.append("the SES templates")
    if pool.user_pool_id not in cognitoidp_backends[DEFAULT_ACCOUNT_ID][region].user_pools:
        missing.append(f"user pool {pool.user_pool_id}")
    return missing
