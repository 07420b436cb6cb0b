"""Escalation timers and `opsctl tick`: driven by the injectable clock, never by sleeping."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from opsctl import clock, track_error
from opsctl.api.decisions import acknowledge, decide
from opsctl.api.requests import decide_request, request_integration
from opsctl.escalation.tick import tick
from tests.conftest import REPO
from tests.escalation_support import (T0, announced, at, blocking, events, frozen, move, row,  # noqa: F401
                                      write_config)
import pytest

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


def test_blocking_error_escalates_at_five_minutes_not_before(frozen, announced):
    blocking()
    assert announced.purposes() == ["notify"]
    move(minutes=4, seconds=59)
    assert tick()["notices"] == []
    move(minutes=5)
    done = tick()
    assert [(n["id"], n["kind"], n["level"], n["catch_up"]) for n in done["notices"]] == [
        ("error-1", "escalation", 1, False)]
    assert announced.purposes() == ["notify", "escalation"]
    note = announced[-1]["notification"]
    assert note.kind == "escalation" and note.title.startswith("Escalation #1")
    assert "not acknowledged 5m" in note.facts["Escalation"]
    assert "Your decision?" in note.payload()["message"]
    assert row(1)["escalations"] == 1
    assert row(1)["next_escalation_at"] == clock.to_iso(at(minutes=20))  # default repeat: 15m, 30m, 1h
    assert announced[-1]["event_id"] == events("escalation", 1)[0]["id"]


def test_repeats_on_the_default_schedule_until_acknowledged(frozen, announced):
    blocking()
    sent = []
    for minute in range(0, 200):  # a punctual cron: every minute for 3h20m
        move(minutes=minute)
        sent += [(minute, n["level"]) for n in tick()["notices"]]
        if minute == 170:
            acknowledge("error-1")
    assert sent == [(5, 1), (20, 2), (50, 3), (110, 4), (170, 5)]
    assert row(1)["next_escalation_at"] is None
    assert len(events("escalation", 1)) == 5


def test_schedule_comes_from_opsctl_yaml(frozen, announced):
    write_config("escalation:\n  blocking: {after: 2m, repeat: [10m], max: 2}\n")
    blocking()
    sent = []
    for minute in range(0, 60):
        move(minutes=minute)
        sent += [minute for _ in tick()["notices"]]
    assert sent == [2, 12]
    assert row(1)["escalations"] == 2 and row(1)["next_escalation_at"] is None
    assert announced[0]["channels"] is None  # the first notice is routed as usual


def test_a_tier_can_send_its_escalations_to_chosen_channels(frozen, announced):
    write_config("escalation:\n  blocking: {channels: [slack, sms]}\n")
    blocking()
    move(minutes=5)
    tick()
    assert [(c["purpose"], c["channels"]) for c in announced] == [("notify", None), ("escalation", ["slack", "sms"])]


def test_a_broken_escalation_section_names_the_key(run_cli):
    write_config("escalation:\n  blocking: {after: soon}\n")
    blocking_args = ["notify-error", "--type", "api_limit", "--service", "S", "--json"]
    code, out, err = run_cli(*blocking_args)
    assert code == 1 and "escalation.blocking.after" in err
    write_config("escalation:\n  blocker: {after: 5m}\n")
    code, out, err = run_cli(*blocking_args)
    assert code == 1 and "valid: blocking, warning, info, flapping, catch_up_after" in err


def test_warning_gets_one_reminder_after_four_hours(frozen, announced):
    blocking(impact="warning")
    move(hours=3, minutes=59)
    assert tick()["notices"] == []
    move(hours=4)
    assert [n["kind"] for n in tick()["notices"]] == ["reminder"]
    assert announced.purposes() == ["notify", "reminder"]
    assert announced[-1]["notification"].kind == "reminder"
    for hours in (8, 12, 24, 48):
        move(hours=hours)
        assert tick()["notices"] == []
    assert row(1)["escalations"] == 1


def test_info_errors_wait_for_the_digest(frozen, announced):
    blocking(impact="info")
    assert row(1)["next_escalation_at"] is None
    move(days=30)
    assert tick()["notices"] == []
    assert announced.purposes() == ["notify"]


def test_a_late_tick_sends_one_catch_up_notice_per_error(frozen, announced):
    blocking("Scraper API")
    blocking("Maps API")
    move(hours=3)  # the machine was off: 36 runs of the 5-minute ladder were missed
    done = tick()
    assert sorted(n["id"] for n in done["notices"]) == ["error-1", "error-2"]
    assert all(n["catch_up"] and n["level"] == 1 for n in done["notices"])
    assert "Catch-up" in announced[-1]["notification"].facts
    assert row(1)["next_escalation_at"] == clock.to_iso(at(hours=3, minutes=15))  # from now, not from then
    move(hours=3, minutes=1)
    assert tick()["notices"] == []
    assert len(events("escalation")) == 2


def test_dry_run_shows_what_is_due_and_changes_nothing(frozen, announced):
    blocking()
    move(minutes=6)
    before = row(1)
    preview = tick(dry_run=True)
    assert preview["dry_run"] is True
    assert [(n["id"], n["kind"], n["level"]) for n in preview["notices"]] == [("error-1", "escalation", 1)]
    assert dict(row(1)) == dict(before) and events("escalation") == []
    assert announced.purposes() == ["notify"]
    assert [n["id"] for n in tick()["notices"]] == ["error-1"]


def test_a_decision_stops_the_escalation(frozen, announced):
    blocking()
    move(minutes=5)
    tick()
    move(minutes=7)
    decide("error-1", "2")
    for minute in (20, 50, 300):
        move(minutes=minute)
        assert tick()["notices"] == []
    assert row(1)["status"] == "acknowledged"


def test_a_worse_duplicate_brings_the_deadline_forward(frozen, announced):
    blocking(impact="warning")
    assert row(1)["next_escalation_at"] == clock.to_iso(at(hours=4))
    move(hours=1)
    blocking(impact="blocking")  # same fingerprint, now blocking
    assert row(1)["impact"] == "blocking"
    assert row(1)["next_escalation_at"] == clock.to_iso(at(hours=1, minutes=5))
    move(hours=1, minutes=5)
    assert [n["kind"] for n in tick()["notices"]] == ["escalation"]


def test_track_error_escalated_starts_the_timer(frozen, announced):
    track_error("api_limit", "Scraper API", impact="blocking", status="escalated")
    move(minutes=5)
    assert [n["id"] for n in tick()["notices"]] == ["error-1"]


def test_deferred_request_comes_back_on_its_date(frozen, announced):
    request_integration("Airtable API", "Client needs data in Airtable", urgency="high")
    decide_request("req-1", "defer", until="2026-03-10")
    move(days=7)
    assert tick()["resurfaced"] == []
    move(days=8)
    back = tick()["resurfaced"]
    assert [(r["id"], r["status"]) for r in back] == [("req-1", "pending")]
    assert announced[-1]["purpose"] == "reminder" and announced[-1]["subject"] == "request"
    assert announced[-1]["notification"].kind == "reminder"
    assert tick()["resurfaced"] == []
    assert len(events("resurfaced")) == 1



def test_deferred_request_stays_deferred_when_the_tool_is_pending_again(frozen, announced):
    """One pending request per tool (a unique index): the deferred one loses its date, not its status."""
    from opsctl.api.requests import show_request

    request_integration("Airtable API", "Client needs data in Airtable")
    decide_request("req-1", "defer", until="2026-03-10")
    request_integration("Airtable API", "Asked again before the date")  # req-2, pending
    move(days=15)
    assert tick()["resurfaced"] == []
    first = show_request("req-1")
    assert (first["status"], first["until"]) == ("deferred", None)
    assert [e["action"] for e in first["history"]][-1] == "resurface_skipped"
    assert show_request("req-2")["status"] == "pending"
    assert tick()["resurfaced"] == [] and len(events("resurface_skipped")) == 1


def _cli(*args, now_at, env=None, **kw):
    env = env or dict(os.environ, PYTHONPATH=str(REPO), OPSCTL_NOW=clock.to_iso(now_at))
    return subprocess.Popen([sys.executable, "-m", "opsctl", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def test_tick_is_silent_when_nothing_is_due_and_json_is_one_object(frozen):
    blocking()
    proc = _cli("tick", now_at=at(minutes=1))
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out, err) == (0, "", "")
    proc = _cli("tick", "--json", now_at=at(minutes=1))
    out, _ = proc.communicate(timeout=60)
    assert json.loads(out)["notices"] == [] and out.count("\n") == 1


def test_concurrent_ticks_never_double_escalate(frozen):
    for n in range(12):
        blocking(f"Service {n}")
    procs = [_cli("tick", "--json", now_at=at(minutes=6)) for _ in range(4)]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0, 0], [err for _, err in outputs]
    claimed = sorted(n["id"] for out, _ in outputs for n in json.loads(out)["notices"])
    assert claimed == sorted(f"error-{n}" for n in range(1, 13))  # each exactly once, whoever won
    assert len(events("escalation")) == 12
    assert {row(n)["escalations"] for n in range(1, 13)} == {1}


def test_end_to_end_with_the_real_outbox_and_the_notify_user_hook(tmp_path):
    """A script reports a blocking error, nobody answers, tick escalates at 5 minutes; decide stops it."""
    log = tmp_path / "hook.jsonl"
    hook = tmp_path / "hook.py"
    hook.write_text("import json, os, sys\n"
                    f"with open({str(log)!r}, 'a') as f:\n"
                    "    f.write(json.dumps({'event': os.environ['OPSCTL_EVENT'], 'payload': json.load(sys.stdin)})"
                    " + '\\n')\n")
    hook_env = {"OPSCTL_NOTIFY_USER_CMD": f"{sys.executable} {hook}"}

    def run(*args, minutes):
        proc = _cli(*args, now_at=at(minutes=minutes), env=dict(os.environ, PYTHONPATH=str(REPO),
                                                               OPSCTL_NOW=clock.to_iso(at(minutes=minutes)),
                                                               **hook_env))
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        return out

    run("notify-error", "--type", "api_limit", "--service", "Scraper API", "--options", "New key", "Upgrade",
        "--json", minutes=0)
    assert run("tick", minutes=4) == ""
    assert "escalation #1" in run("tick", minutes=5)
    run("decide", "error-1", "2", minutes=6)
    assert run("tick", minutes=30) == ""
    sent = [json.loads(line) for line in log.read_text().splitlines()]
    assert [s["event"] for s in sent] == ["notify", "escalation", "decision"]
    assert "Escalation #1" in json.dumps(sent[1]["payload"])
