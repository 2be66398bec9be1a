"""Helpers the tests share: a thin JSON client over chalice.test.Client, agent tokens."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

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


class Api:
    def __init__(self, client: Any) -> None:
        self.client = client

    def request(self, method: str, path: str, *, token: str | None = None, json_body: Any = None,
                body: bytes | str | None = None, headers: dict[str, str] | None = None) -> Answer:
        sent = {"Content-Type": "application/json", **(headers or {})}
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

    def delete(self, path: str, **kw: Any) -> Answer:
        return self.request("DELETE", path, **kw)


class AgentFactory:
    """Creates agents in the test's Cognito pool and logs them in for real."""

    def __init__(self, pool: stack.CognitoPool) -> None:
        self.pool = pool
        self._tokens: dict[str, str] = {}

    def token(self, email: str, groups: list[str]) -> str:
        if email not in self._tokens:
            stack.create_agent(self.pool, email, AGENT_PASSWORD, groups)
            self._tokens[email] = stack.agent_id_token(self.pool, email, AGENT_PASSWORD)
        return self._tokens[email]
