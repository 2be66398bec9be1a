"""Lists read from sharded indexes (models/shards.py): every shard read, merged in order, and
pages that neither skip nor repeat, whatever the shard count."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("shards", ["1", "3"])
def test_the_agents_ticket_list_pages_through_every_shard_in_activity_order(api, helpdesk, monkeypatch, shards):
    monkeypatch.setenv("PORTICO_INDEX_SHARDS", shards)
    numbers = [helpdesk.open_ticket(f"T{n}")["number"] for n in range(7)]
    seen, cursor = [], None
    while True:
        path = "/agent/tickets?limit=2" + (f"&cursor={cursor}" if cursor else "")
        answer = api.get(path, token=helpdesk.agent)
        assert answer.status == 200, answer.json
        seen += [t["number"] for t in answer.json["items"]]
        cursor = answer.json["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(numbers))
    by_status = api.get("/agent/tickets?status=new&limit=100", token=helpdesk.agent).json["items"]
    assert [t["number"] for t in by_status] == list(reversed(numbers))


def test_an_item_keeps_its_shard_and_every_shard_is_known():
    from chalicelib.models.shards import shard_keys, shard_of, sharded

    assert sharded("ticket", "1042") == sharded("ticket", "1042")
    assert sharded("ticket", "1042") in shard_keys("ticket")
    assert {shard_of(str(n), 8) for n in range(1000, 1100)} == set(range(8)), "spread over every shard"


def test_the_agents_client_list_pages_through_every_shard_in_email_order(api, portal, monkeypatch):
    monkeypatch.setenv("PORTICO_INDEX_SHARDS", "3")
    emails = sorted(f"c{n}@shards.test" for n in range(5))
    for email in emails:
        portal.create_client(email, invite=False)
    seen, cursor = [], None
    while True:
        path = "/agent/clients?limit=2" + (f"&cursor={cursor}" if cursor else "")
        answer = api.get(path, token=portal.agent_token)
        assert answer.status == 200, answer.json
        seen += [c["email"] for c in answer.json["items"]]
        cursor = answer.json["next_cursor"]
        if not cursor:
            break
    assert [e for e in seen if e.endswith("@shards.test")] == emails
    inactive = api.get("/agent/clients?status=inactive&limit=100", token=portal.agent_token).json["items"]
    assert [c["email"] for c in inactive if c["email"].endswith("@shards.test")] == emails
