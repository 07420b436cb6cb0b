"""Silences (recorded, counted, not announced; one summary at the end), snoozes, false positives per rule."""

from __future__ import annotations

import json

from opsctl import clock, notify_error, update_error
from opsctl.escalation.tick import tick
from opsctl.silences import add_silence, list_silences, remove_silence
from tests.delivery_support import hook  # noqa: F401
from tests.people_support import BLOCKING, deliveries, write_config  # noqa: F401
import pytest

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


def at(text: str) -> None:
    clock.set_now(f"2026-03-02T{text}Z")


def test_silenced_errors_are_counted_not_announced_and_end_with_one_summary(hook, monkeypatch):
    monkeypatch.setenv("OPSCTL_NOTIFY_USER_CMD", hook.command())
    at("09:00:00")
    silence = add_silence("scraper api", duration="2h", reason="provider maintenance")
    assert silence["id"] == "sil-1" and silence["active"] and silence["ends_at"] == "2026-03-02T11:00:00.000000Z"
    first = notify_error(**BLOCKING)
    again = notify_error(**BLOCKING)
    other = notify_error(**dict(BLOCKING, type="auth_failure"))
    assert first["deliveries"] == [{"channel": "silence", "status": "skipped",
                                    "error": "silenced by sil-1 until 2026-03-02T11:00:00.000000Z"}]
    assert again["deduplicated"] and again["occurrences"] == 2  # recorded and counted
    assert deliveries(other) == {"silence": "skipped"}
    unrelated = notify_error(**dict(BLOCKING, service="Billing API"))
    assert deliveries(unrelated) == {"notify_user": "sent"}
    at("09:30:00")
    tick()  # escalations during the silence are held too
    assert {c["payload"]["service"] for c in hook.calls()} == {"Billing API"}  # notice + its escalation
    at("11:00:01")
    done = tick()
    assert done["silences_ended"][0]["open_errors"] == [first["id"], other["id"]]
    summaries = [c["payload"] for c in hook.calls() if c["payload"]["id"] == "sil-1"]
    assert len(summaries) == 1  # one summary, not a storm
    assert "2 error(s) still open for scraper api" in summaries[0]["title"]
    assert first["id"] in summaries[0]["details"]
    at("11:05:00")
    assert tick()["silences_ended"] == []
    assert list_silences() == [] and list_silences(include_ended=True)[0]["held"] >= 3


def test_a_silence_narrowed_by_type_and_removed_early(hook, monkeypatch):
    monkeypatch.setenv("OPSCTL_NOTIFY_USER_CMD", hook.command())
    at("09:00:00")
    add_silence("Scraper API", duration="1h", reason="key rotation", type="auth_failure")
    assert deliveries(notify_error(**BLOCKING)) == {"notify_user": "sent"}  # api_limit is not silenced
    assert deliveries(notify_error(**dict(BLOCKING, type="auth_failure"))) == {"silence": "skipped"}
    at("09:10:00")
    assert remove_silence("sil-1")["active"] is False
    at("09:11:00")
    [ended] = tick()["silences_ended"]
    assert ended["open_errors"] == ["error-2"]


def test_silence_cli_json_and_bad_input(cli):
    out = cli.json("silence", "add", "--service", "Scraper API", "--for", "2h", "--reason", "maintenance")
    assert out["id"] == "sil-1" and out["active"] is True
    assert cli.json("silence", "list")["silences"][0]["id"] == "sil-1"
    proc = cli("silence", "add", "--service", "S", "--for", "soon", "--reason", "x", "--json")
    assert proc.returncode == 2 and "--for" in json.loads(proc.stdout)["error"]
    proc = cli("silence", "add", "--service", "S", "--for", "1h", "--reason", "x", "--type", "nope")
    assert proc.returncode == 2 and "api_limit" in proc.stderr
    assert cli.json("silence", "remove", "sil-1")["removed_at"]
    proc = cli("silence", "remove", "sil-9", "--json")
    assert proc.returncode == 2
    assert cli.json("silence", "list")["silences"] == []


def test_snooze_moves_the_escalation_timer_to_the_snooze_end(hook, monkeypatch, cli):
    monkeypatch.setenv("OPSCTL_NOTIFY_USER_CMD", hook.command())
    at("09:00:00")
    result = notify_error(**BLOCKING)
    from opsctl.api.snooze import snooze

    snoozed = snooze(result["id"], "1h")
    assert snoozed["snoozed_until"] == "2026-03-02T10:00:00.000000Z"
    assert snoozed["next_escalation_at"] == "2026-03-02T10:00:00.000000Z"  # was 09:05
    at("09:30:00")
    assert tick()["notices"] == []
    at("10:00:00")
    [notice] = tick()["notices"]
    assert notice["kind"] == "escalation"
    assert [c["payload"]["purpose"] for c in hook.calls()] == ["notify", "escalation"]
    proc = cli("snooze", "error-1", "never", "--json")
    assert proc.returncode == 2
    update_error("error-1", "resolved", solution="done")
    proc = cli("snooze", "error-1", "1h", "--json")
    assert proc.returncode == 2 and "resolved" in json.loads(proc.stdout)["error"]


def test_false_positives_per_rule_in_stats(tmp_path):
    from opsctl.jobs.service import run_job
    from opsctl.reports.stats import stats

    write_config("alerts:\n  - {name: slow_job, condition: 'duration_seconds >= 0', severity: WARNING}\n")
    at("09:00:00")
    outcome = run_job("nightly", ["true"])
    [raised] = outcome["raised"]
    from opsctl import show_error

    assert show_error(raised["id"])["source"] == "run:nightly:slow_job"
    update_error(raised["id"], "false_positive")
    notify_error(**BLOCKING)
    update_error("error-2", "false_positive")
    report = stats(since="7d")
    assert report["false_positives_by_rule"] == [{"rule": "nightly/slow_job", "false_positives": 1},
                                                 {"rule": "notify-error", "false_positives": 1}]
    p2 = next(d for d in report["priority_deadlines"] if d["priority"] == "P2")
    assert p2["errors"] == 1 and p2["target"] == "within 2 hours"
