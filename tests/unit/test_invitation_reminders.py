"""The scheduled resend of pending invitations (product.md §1.5), with time moved forward."""

from __future__ import annotations

import threading
from datetime import timedelta

from chalicelib.services.invitations import resend_due_invitations


def _welcomes(outbox, email):
    return outbox.messages("portal-welcome", email)


def test_reminders_go_out_after_1_3_and_7_days_and_then_stop(portal, outbox, clock):
    portal.create_client("slow@example.com")
    assert resend_due_invitations(now=clock.now()).sent == 0
    for days, expected in ((1, 2), (3, 3), (7, 4), (30, 4)):
        resend_due_invitations(now=clock.now() + timedelta(days=days, minutes=1))
        assert len(_welcomes(outbox, "slow@example.com")) == expected, days
    assert _welcomes(outbox, "slow@example.com")[-1]["data"]["is_reminder"] is True


def test_a_reminder_carries_a_fresh_link_and_the_old_one_stops_working(api, portal, outbox, clock):
    portal.create_client("fresh@example.com")
    first = portal.activation_token("fresh@example.com")
    resend_due_invitations(now=clock.now() + timedelta(days=1, minutes=1))
    second = portal.activation_token("fresh@example.com")
    assert second != first
    assert api.get(f"/portal/activation/{first}").code == "token_expired"
    assert api.get(f"/portal/activation/{second}").status == 200


def test_running_twice_at_the_same_time_sends_each_reminder_once(portal, outbox, clock):
    for n in range(3):
        portal.create_client(f"overlap{n}@example.com")
    later = clock.now() + timedelta(days=1, minutes=1)
    threads = [threading.Thread(target=resend_due_invitations, kwargs={"now": later}) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    resend_due_invitations(now=later)
    for n in range(3):
        assert len(_welcomes(outbox, f"overlap{n}@example.com")) == 2


def test_activated_disabled_and_uninvited_clients_get_no_reminder(api, portal, outbox, clock):
    portal.active_client("activated@example.com")
    blocked = portal.create_client("blocked@example.com")
    api.patch(f"/agent/clients/{blocked['id']}", {"disabled": True}, token=portal.agent_token)
    portal.create_client("never@example.com", invite=False)
    report = resend_due_invitations(now=clock.now() + timedelta(days=8))
    assert report.examined == 0 and report.sent == 0


def test_agents_see_how_many_reminders_went_out_and_when(api, portal, clock):
    client = portal.create_client("counted@example.com")
    assert client["reminders"]["sent"] == 0 and client["reminders"]["next_at"]
    resend_due_invitations(now=clock.now() + timedelta(days=1, minutes=1))
    seen = api.get(f"/agent/clients/{client['id']}", token=portal.agent_token).json["reminders"]
    assert seen["sent"] == 1 and seen["last_sent_at"] and seen["next_at"] > client["reminders"]["next_at"]


def test_the_job_stops_before_the_lambda_deadline_and_the_next_run_continues(portal, outbox, clock):
    for n in range(4):
        portal.create_client(f"deadline{n}@example.com")
    later = clock.now() + timedelta(days=1, minutes=1)
    budget = iter([60_000, 60_000, 1_000, 1_000, 1_000])
    first = resend_due_invitations(now=later, time_left_ms=lambda: next(budget))
    assert first.stopped_early and first.sent == 2
    second = resend_due_invitations(now=later)
    assert second.sent == 2


def test_the_reminder_days_follow_the_setting(api, admin_token, portal, outbox, clock):
    version = api.get("/agent/settings", token=admin_token).json["version"]
    api.patch("/agent/settings", {"invitation_reminder_days": [2], "version": version}, token=admin_token)
    portal.create_client("custom@example.com")
    resend_due_invitations(now=clock.now() + timedelta(days=1, hours=23))
    assert len(_welcomes(outbox, "custom@example.com")) == 1
    resend_due_invitations(now=clock.now() + timedelta(days=2, minutes=1))
    resend_due_invitations(now=clock.now() + timedelta(days=9))
    assert len(_welcomes(outbox, "custom@example.com")) == 2


def test_the_scheduled_function_runs_the_job(app, portal, outbox, clock):
    from chalice.test import Client

    portal.create_client("scheduled@example.com")
    clock.advance(days=1, minutes=1)
    with Client(app, stage_name="local") as client:
        result = client.lambda_.invoke("resend-invitations", client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))
    assert result.payload["sent"] == 1, result.payload
    assert len(_welcomes(outbox, "scheduled@example.com")) == 2
