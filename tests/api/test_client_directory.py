"""The agents' client directory (product.md §12): find clients by any word of their name or by
their email, whatever the case and accents, with the organization and status filters."""

from __future__ import annotations


def _names(api, token, query):
    answer = api.get(f"/agent/clients?{query}", token=token)
    assert answer.status == 200, answer.json
    return sorted(item["email"] for item in answer.json["items"])


def test_agents_find_clients_by_any_name_word_or_email_prefix(api, portal, admin_token):
    org = api.post("/agent/organizations", {"name": "Acme"}, token=admin_token).json
    token = portal.agent_token
    api.post("/agent/clients", {"email": "zoe@acme.test", "name": "Zoë Ångström-Berg", "organization_id": org["id"]},
             token=token)
    api.post("/agent/clients", {"email": "bert@other.test", "name": "Bert Zoller"}, token=token)
    api.post("/agent/clients", {"email": "ann@acme.test", "name": "Ann Lee", "organization_id": org["id"],
                                "send_invitation": True}, token=token)
    assert _names(api, token, "q=zo") == ["bert@other.test", "zoe@acme.test"]  # a name word, or the email
    assert _names(api, token, "q=ANGS") == ["zoe@acme.test"]  # accents and case ignored
    assert _names(api, token, "q=%C3%A5ngstr") == ["zoe@acme.test"]  # typed with the accent
    assert _names(api, token, "q=berg") == ["zoe@acme.test"]  # any word, not just the first
    assert _names(api, token, "q=zoe%20ber") == ["zoe@acme.test"]  # every typed word starts one of theirs
    assert _names(api, token, "q=bert@") == ["bert@other.test"]  # the email's prefix
    assert _names(api, token, f"q=zo&organization_id={org['id']}") == ["zoe@acme.test"]
    assert _names(api, token, "q=a&status=invited") == ["ann@acme.test"]  # one letter: email prefix, as before
    assert _names(api, token, "q=le&status=invited") == ["ann@acme.test"]
    assert _names(api, token, "q=le&status=active") == []
    assert _names(api, token, "q=ngstr") == []  # a prefix, not a substring

    # a renamed client is found by the new name only; a removed one not at all
    zoe = api.get("/agent/clients?q=zoe@", token=token).json["items"][0]
    api.patch(f"/agent/clients/{zoe['id']}", {"name": "Zoé Martin"}, token=token)
    assert _names(api, token, "q=mart") == ["zoe@acme.test"]
    assert _names(api, token, "q=berg") == []
    api.delete(f"/agent/clients/{zoe['id']}", token=token)
    assert _names(api, token, "q=mart") == []


def test_a_client_matching_by_two_words_is_listed_once_across_pages(api, portal):
    token = portal.agent_token
    for n in range(3):
        api.post("/agent/clients", {"email": f"rita{n}@acme.test", "name": f"Rita Ritter{n}"}, token=token)
    seen, cursor = [], None
    for _ in range(10):
        answer = api.get("/agent/clients?q=rit&limit=1" + (f"&cursor={cursor}" if cursor else ""), token=token)
        seen += [item["email"] for item in answer.json["items"]]
        cursor = answer.json["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == ["rita0@acme.test", "rita1@acme.test", "rita2@acme.test"]


def test_the_reindex_makes_clients_written_before_the_directory_searchable(api, portal):
    from chalicelib.models.users import UserModel
    from chalicelib.services import client_directory

    token = portal.agent_token
    api.post("/agent/clients", {"email": "olga@acme.test", "name": "Olga Petrova"}, token=token)
    api.post("/agent/clients", {"email": "nils@acme.test", "name": "Nils Holm"}, token=token)
    olga = api.get("/agent/clients?q=olga@", token=token).json["items"][0]
    # Olga as a client written before this version: no term items, no search_terms.
    stored = UserModel.get(olga["id"])
    for term in client_directory.stored_terms(stored):
        UserModel(f"term#{olga['id']}#{term}").delete()
    UserModel(olga["id"]).update(actions=[UserModel.search_terms.remove()])
    assert _names(api, token, "q=petr") == []

    report = client_directory.reindex_all(page_size=1)  # one client a page: the walk pages
    assert (report.examined, report.updated, report.skipped) == (2, 1, 0)
    assert _names(api, token, "q=petr") == ["olga@acme.test"]
    assert _names(api, token, "q=olg") == ["olga@acme.test"]
    assert _names(api, token, "q=hol") == ["nils@acme.test"]  # the others as they were

    def term_items():
        return sorted(item.id for item in UserModel.by_term.query("pe"))  # keys only: term items alone

    before = term_items()
    assert before == [f"term#{olga['id']}#petrova"]
    again = client_directory.reindex_all()  # idempotent: nothing more to change
    assert (again.examined, again.updated) == (2, 0) and term_items() == before
    assert _names(api, token, "q=petr") == ["olga@acme.test"]


def test_the_reindex_command_runs_on_queries_only(api, portal, monkeypatch):
    from pynamodb.models import Model

    from devtools import reindex_clients

    api.post("/agent/clients", {"email": "olga@acme.test", "name": "Olga Petrova"}, token=portal.agent_token)
    monkeypatch.setattr(reindex_clients, "use_stage", lambda stage: None)  # the test's AWS stand-in

    def no_scan(*args, **kwargs):
        raise AssertionError("the reindex must never Scan")

    monkeypatch.setattr(Model, "scan", classmethod(no_scan))
    assert reindex_clients.main([]) == 0
