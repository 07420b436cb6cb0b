"""The outbox looks after itself: quiet crons, channel alarms that end, payloads that do not pile up."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from opsctl import clock, list_errors, notify_error
from opsctl.api.outbox import deliver, requeue
from opsctl.context import Context
from opsctl.escalation.tick import tick
from tests.delivery_support import T0, blocking, hook, outbox_rows, slack_env, write_config  # noqa: F401
from tests.ledger_support import query

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL

CHANNEL_ALARM = "opsctl channel: slack"


def _at(**delta) -> None:
    clock.set_now(T0 + timedelta(**delta))


def _alarms() -> list[dict]:
    return [e for e in list_errors(status="all", limit=None)["errors"] if e["service"] == CHANNEL_ALARM]


def _kill_slack(slack_env) -> None:
    write_config("outbox: {max_attempts: 2, tries: 1}\n")
    _at()
    slack_env.fail_next("chat.postMessage", status=503, times=2)
    notify_error(**blocking())
    _at(minutes=30)
    deliver(ctx=Context())  # second and last attempt: dead, and the alarm opens


def test_the_channel_alarm_resolves_itself_when_the_channel_delivers_again(slack_env, hook):
    _kill_slack(slack_env)
    [alarm] = _alarms()
    assert alarm["status"] in ("open", "escalated")
    requeue(dead=True)
    _at(minutes=40)
    assert deliver(ctx=Context())["sent"] == 1
    [alarm] = _alarms()
    assert alarm["status"] == "resolved" and alarm["solution"] == "slack delivered again"
    resolved_notices = [c["payload"] for c in hook.calls()
                        if c["payload"]["service"] == CHANNEL_ALARM and c["payload"]["status"] == "resolved"]
    assert len(resolved_notices) == 1  # the people who heard about the outage hear it is over


def test_a_new_report_that_reaches_the_channel_also_ends_its_alarm(slack_env, hook):
    _kill_slack(slack_env)
    _at(minutes=45)
    notify_error(**blocking(service="Billing API"))
    assert [a["status"] for a in _alarms()] == ["resolved"]


def test_a_channel_still_failing_keeps_its_alarm_open(slack_env, hook):
    _kill_slack(slack_env)
    slack_env.fail_next("chat.postMessage", status=503, times=5)
    _at(minutes=45)
    notify_error(**blocking(service="Billing API"))
    _at(minutes=50)
    deliver(ctx=Context())
    assert [a["status"] for a in _alarms()] != ["resolved"]


def test_deliver_prints_only_deliveries_that_changed_state(slack_env, run_cli, monkeypatch):
    write_config("outbox: {tries: 1}\n")
    monkeypatch.setenv("OPSCTL_NOW", "2026-03-02T09:00:00Z")
    slack_env.fail_next("chat.postMessage", status=503, times=2)
    code, _, _ = run_cli("notify-error", "--type", "api_limit", "--service", "X", "--json")
    assert code == 0 and [r["status"] for r in outbox_rows()] == ["queued"]
    monkeypatch.setenv("OPSCTL_NOW", "2026-03-02T09:30:00Z")
    code, out, err = run_cli("deliver")  # tried again, failed again: still queued, nothing to say
    assert (code, out, err) == (0, "", "")
    assert [r["attempts"] for r in outbox_rows()] == [2]
    monkeypatch.setenv("OPSCTL_NOW", "2026-03-02T11:00:00Z")
    code, out, _ = run_cli("deliver")
    assert code == 0 and out.strip() == "dlv-1 slack: sent"
    code, out, _ = run_cli("deliver", "--json")  # --json still reports every attempt, here none
    assert json.loads(out)["deliveries"] == []


def _payloads() -> dict[str, dict]:
    rows = query("SELECT delivery_id AS id, payload FROM delivery_payloads")
    return {f"dlv-{row['id']}": json.loads(row["payload"]) for row in rows}


def test_sent_payloads_are_pruned_after_the_retention_and_the_record_stays(slack_env, hook):
    _at()
    notify_error(**blocking())  # sent on day 0 to Slack and the hook
    _at(days=20)
    notify_error(**blocking(service="Billing API"))  # sent on day 20
    day0 = {r["id"] for r in outbox_rows() if r["about"] == "error-1"}
    day20 = {r["id"] for r in outbox_rows() if r["about"] == "error-2"}
    assert len(day0) == len(day20) == 2
    _at(days=31)
    assert tick(ctx=Context())["pruned_payloads"] == 2
    payloads = _payloads()
    for row_id in day0:
        assert set(payloads[row_id]) == {"notification", "pruned"}
        assert payloads[row_id]["notification"]["id"] == "error-1" and "Free tier" not in json.dumps(payloads[row_id])
    assert all("record" in payloads[row_id] for row_id in day20)  # within the retention: whole
    rows = {r["id"]: r for r in outbox_rows()}
    assert all(rows[i]["status"] == "sent" and rows[i]["sent_at"] and rows[i]["title"] for i in day0 | day20)
    assert "pruned_payloads" not in tick(ctx=Context())  # done once; nothing left to prune


def test_retention_is_configurable_and_zero_keeps_payloads(slack_env):
    write_config("outbox: {payload_retention_days: 0}\n")
    _at()
    notify_error(**blocking())
    _at(days=400)
    assert "pruned_payloads" not in tick(ctx=Context())
    write_config("outbox: {payload_retention_days: 7}\n")
    assert tick(ctx=Context())["pruned_payloads"] == 1


def test_unsent_deliveries_are_never_pruned(slack_env):
    slack_env.fail_next("chat.postMessage", status=503, times=100)
    _at()
    notify_error(**blocking())
    _at(days=60)
    tick(ctx=Context())
    rows = query("SELECT d.status, p.payload FROM deliveries d JOIN delivery_payloads p ON p.delivery_id = d.id"
                 " WHERE d.status != 'sent'")
    assert rows and all("record" in json.loads(row["payload"]) for row in rows)
