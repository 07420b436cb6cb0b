"""The durable outbox: what fails stays queued, `opsctl deliver` sends it later exactly once, dead ends loudly."""

from __future__ import annotations

import json
import socket
import time
from datetime import timedelta

from opsctl import clock, notify_error, update_error
from opsctl.context import Context
from opsctl.api.outbox import deliver
import pytest

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


def drain(ctx):
    return deliver(ctx=ctx)  # the library call `opsctl deliver` makes (it raises what went dead)
from tests.delivery_support import (T0, blocking, deliveries, hook, outbox_rows, slack_env,  # noqa: F401
                                    write_config)


def _later(minutes: float) -> None:
    clock.set_now(T0 + timedelta(minutes=minutes))


def test_server_error_queues_then_deliver_sends_exactly_once(slack_env, hook):
    clock.set_now(T0)
    slack_env.fail_next("chat.postMessage", status=500, times=3)
    result = notify_error(**blocking())
    assert deliveries(result) == {"slack": "queued", "notify_user": "sent"}
    [slack] = [d for d in result["deliveries"] if d["channel"] == "slack"]
    assert slack["error"].startswith("Slack is unavailable (HTTP 500")
    assert slack_env.messages == []
    assert drain(Context())["sent"] == 0  # not due yet: the clock has not moved
    _later(10)
    counts = drain(Context())
    assert (counts["sent"], counts["queued"]) == (1, 0)
    assert len(slack_env.messages) == 1 and len(hook.calls()) == 1
    _later(60)
    assert drain(Context())["sent"] == 0 and len(slack_env.messages) == 1


def test_connection_refused_is_queued_and_delivered_when_the_server_is_back(fake_slack, monkeypatch, run_cli):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("SLACK_CHANNEL", "#general")
    monkeypatch.setenv("SLACK_API_URL", f"http://127.0.0.1:{closed_port}/api/")
    monkeypatch.setenv("OPSCTL_NOW", "2026-03-02T09:00:00Z")
    code, out, _ = run_cli(*["notify-error", "--type", "api_limit", "--service", "X", "--json"])
    assert code == 0 and json.loads(out)["deliveries"][0]["status"] == "queued"
    assert json.loads(out)["deliveries"][0]["error"] == "slack unreachable (Connection refused)"
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    monkeypatch.setenv("OPSCTL_NOW", "2026-03-02T09:10:00Z")
    code, out, _ = run_cli("deliver", "--json")
    assert code == 0 and json.loads(out)["sent"] == 1
    code, out, _ = run_cli("deliver", "--json")
    assert json.loads(out)["sent"] == 0 and len(fake_slack.messages) == 1


def test_a_hanging_server_does_not_hold_the_command_past_its_budget(slack_env, hook, cli):
    write_config("outbox: {timeout: 1, budget: 2}\n")
    slack_env.hang_next("chat.postMessage", times=10)  # every try hangs until the fake stops
    proc = cli("notify-error", "--type", "api_limit", "--service", "X", "--json",
               env={"OPSCTL_NOTIFY_USER_CMD": hook.command()})
    assert proc.returncode == 0, proc.stderr  # it returned while the server still hangs
    assert deliveries(json.loads(proc.stdout)) == {"slack": "queued", "notify_user": "sent"}
    assert slack_env.pending_faults() >= 10 - 3  # at most `tries` of the ten hangs were waited on


def test_attempts_run_out_then_dead_raises_a_system_error_not_sent_to_the_dead_channel(slack_env, hook):
    write_config("outbox: {max_attempts: 3, tries: 1}\n")
    clock.set_now(T0)
    slack_env.fail_next("chat.postMessage", status=503, times=100)
    notify_error(**blocking())
    for minutes in (30, 90):
        _later(minutes)
        drain(Context())
    [row] = [r for r in outbox_rows() if r["channel"] == "slack"]
    assert row["status"] == "dead" and row["attempts"] == 3 and "503" in row["last_error"]
    alarms = [c["payload"] for c in hook.calls() if c["payload"]["type"] == "system_error"]
    assert [a["service"] for a in alarms] == ["opsctl channel: slack"]
    assert "opsctl outbox retry --dead" in alarms[0]["message"]
    slack_rows = [r for r in outbox_rows() if r["channel"] == "slack"]
    assert len(slack_rows) == 1  # the alarm about Slack was never queued for Slack
    # more failures add occurrences to the same open alarm instead of a storm of notices
    notify_error(**blocking(service="Other"))
    _later(200)
    for minutes in (300, 400, 500):
        _later(minutes)
        drain(Context())
    assert len([c for c in hook.calls() if c["payload"]["type"] == "system_error"]) == 1


def test_dead_deliveries_can_be_retried(slack_env, run_cli):
    slack_env.fail_next("chat.postMessage", ok_false="channel_not_found")
    notify_error(**blocking())
    code, out, _ = run_cli("outbox", "list", "--status", "dead", "--json")
    [row] = json.loads(out)["deliveries"]
    assert row["channel"] == "slack" and row["about"] == "error-1" and "channel_not_found" in row["last_error"]
    code, out, _ = run_cli("outbox", "retry", row["id"], "--json")
    assert code == 0 and json.loads(out) == {"requeued": 1}
    code, out, _ = run_cli("deliver", "--json")
    assert json.loads(out)["sent"] == 1 and len(slack_env.messages) == 1
    code, _, err = run_cli("outbox", "retry", row["id"])
    assert code == 2 and "already sent" in err


def test_a_deduplicated_report_does_not_notify_again(slack_env, hook):
    notify_error(**blocking())
    again = notify_error(**blocking())
    assert again["deduplicated"] and again["deliveries"] == []
    assert len(slack_env.messages) == 1 and len(hook.calls()) == 1


def test_a_status_change_waits_for_the_message_it_updates(slack_env):
    clock.set_now(T0)
    slack_env.fail_next("chat.postMessage", status=500, times=3)
    first = notify_error(**blocking())
    result = update_error(first["id"], "acknowledged")
    assert deliveries(result) == {"slack": "queued"}
    assert slack_env.messages == []
    _later(10)
    assert drain(Context())["sent"] == 2
    original = slack_env.messages[0]
    assert original.thread_ts is None and len(original.updates) == 1
    assert [m.thread_ts for m in slack_env.messages[1:]] == [original.ts]


def test_only_deliver_and_tick_send_due_deliveries_other_commands_never(slack_env, monkeypatch, run_cli):
    monkeypatch.setenv("OPSCTL_NOW", "2026-03-02T09:00:00Z")
    slack_env.fail_next("chat.postMessage", status=500, times=3)
    run_cli("notify-error", "--type", "api_limit", "--service", "X")
    assert slack_env.messages == []
    monkeypatch.setenv("OPSCTL_NOW", "2026-03-02T09:10:00Z")
    code, out, _ = run_cli("errors", "list", "--json")
    assert code == 0 and json.loads(out)["count"] == 1
    assert slack_env.messages == [] and outbox_rows()[0]["status"] == "queued"  # a read never sends
    code, _, _ = run_cli("deliver")
    assert code == 0 and len(slack_env.messages) == 1 and outbox_rows()[0]["status"] == "sent"


def test_no_channel_means_nothing_queued(run_cli):
    code, out, err = run_cli("notify-error", "--type", "api_limit", "--service", "X", "--json")
    assert code == 0 and json.loads(out)["deliveries"] == []
    assert outbox_rows() == []


def test_claims_are_exclusive_and_only_a_gone_owner_loses_one():
    import subprocess
    import sys

    from opsctl.delivery import owner, sending
    from opsctl.delivery.policy import Policy
    from tests.delivery_support import later
    from opsctl.ledger import outbox_table, transaction

    ctx = Context()
    clock.set_now(T0)
    ctx.conn.execute("INSERT INTO deliveries (event_id, subject, channel, purpose, status, next_attempt_at,"
                     " created_at) VALUES (1, 'test', 'x', 'test', 'queued', ?, ?)", ("2026-01-01", "2026-01-01"))
    rules = Policy()
    token, [row] = sending.claim(ctx, rules, ids=None, limit=5)
    assert row["claim_owner"] == owner.me()
    assert sending.claim(ctx, rules, ids=None, limit=5)[1] == []  # held by us
    _later(rules.lease / 60 + 600)  # far past the lease (or a forward clock jump): we are alive, so it stays ours
    assert sending.claim(ctx, rules, ids=None, limit=5)[1] == []
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a process that is gone (reaped)
    with transaction(ctx.conn):
        ctx.conn.execute("UPDATE deliveries SET claim_owner = ? WHERE id = ?", (f"{owner.host()}:{dead.pid}:1", row["id"]))
    new_token, [taken] = sending.claim(ctx, rules, ids=None, limit=5)
    assert taken["attempts"] == 2 and taken["claim_token"] == new_token != token
    with transaction(ctx.conn):
        assert not outbox_table.mark_sent(ctx.conn, row["id"], token, at="t", remote_id=None, ref=None,
                                          ref_key=None, cache=None)  # the old claim cannot record anything
        ctx.conn.execute("UPDATE deliveries SET claim_owner = 'other-host:1:1', claimed_until = ?, next_attempt_at = ?"
                         " WHERE id = ?", (later(minutes=700), later(minutes=700), row["id"]))
    _later(700 + 0.5)  # another host's lease ran out, but not by the margin yet
    assert sending.claim(ctx, rules, ids=None, limit=5)[1] == []
    _later(700 + 2)
    assert [r["id"] for r in sending.claim(ctx, rules, ids=None, limit=5)[1]] == [row["id"]]
