"""`opsctl tick` claims, records and queues a whole batch of due work at once (issue 13).

Escalations are claimed with one compare-and-set UPDATE per chunk, their events and outbox rows
written with one INSERT per chunk, the silences in force read once. What each notice gets must
stay what one claim after another gave it.
"""

from __future__ import annotations

import json

import pytest

from opsctl import clock
from opsctl.api.decisions import acknowledge
from opsctl.context import Context
from opsctl.escalation.tick import tick
from opsctl.ledger import errors_table, events as events_module, outbox_table, silences_table, transaction
from tests.delivery_support import hook  # noqa: F401
from tests.escalation_support import T0, at, blocking, events, frozen, move, row, write_config  # noqa: F401

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL

# one webhook, held all day by quiet hours: rows are queued and nothing is sent
HELD = ("channels:\n  hooks: {type: webhook, url: 'http://127.0.0.1:9/'}\n"
        'routing: {quiet: {hours: "00:00-23:59", impacts: [blocking]}}\n')


def _rows(purpose: str) -> list:
    conn = Context().conn
    return sorted((r for r in outbox_table.query(conn, statuses=None, channel=None, limit=None)
                   if r["purpose"] == purpose), key=lambda r: r["id"])


def test_rows_changed_after_the_read_are_not_claimed(frozen, monkeypatch):
    write_config(HELD)
    for n in range(3):
        blocking(f"Service {n}")
    read = errors_table.due_escalations

    def read_then_others_move(conn, at_iso, limit):
        rows = read(conn, at_iso, limit)
        acknowledge("error-2")  # a user answers between tick's read and its claim
        other = Context().conn
        with transaction(other):  # another tick claims error-3 first
            due_at = {r["id"]: r for r in rows}[3]["next_escalation_at"]
            assert errors_table.claim_escalation(other, 3, due_at=due_at, escalations=0, next_at=None,
                                                 at=at_iso) is not None
        return rows

    monkeypatch.setattr(errors_table, "due_escalations", read_then_others_move)
    move(minutes=6)
    done = tick()
    assert [n["id"] for n in done["notices"]] == ["error-1"]
    assert [e["subject_id"] for e in events("escalation")] == [1]
    assert [r["subject_id"] for r in _rows("escalation")] == [1]
    assert (row(2)["status"], row(2)["escalations"]) == ("acknowledged", 0)
    assert row(3)["escalations"] == 1  # the other tick's claim only


def test_batches_larger_than_a_chunk_keep_every_notice_its_own_event_and_rows(frozen, monkeypatch):
    monkeypatch.setattr(errors_table, "CLAIM_CHUNK", 2)
    monkeypatch.setattr(events_module, "CHUNK", 2)
    monkeypatch.setattr(outbox_table, "CHUNK", 2)
    write_config(HELD)
    for n in range(5):
        blocking(f"Service {n}")
    move(minutes=6)
    done = tick()
    assert sorted(n["id"] for n in done["notices"]) == [f"error-{n}" for n in range(1, 6)]
    assert {row(n)["escalations"] for n in range(1, 6)} == {1}
    escalations = {e["id"]: e for e in events("escalation")}
    queued = _rows("escalation")
    assert len(escalations) == len(queued) == 5
    for delivery in queued:
        assert escalations[delivery["event_id"]]["subject_id"] == delivery["subject_id"]
    by_error = {f"error-{r['subject_id']}": json.loads(r["payload"]) for r in queued}
    for notice in done["notices"]:  # tick's JSON shows the notification each row carries
        assert notice["notification"] == by_error[notice["id"]]["notification"]
        assert notice["notification"]["title"].startswith("Escalation #1")
        assert notice["deliveries"] == [{"channel": "hooks", "status": "queued",
                                         "until": "2026-03-02T23:59:00.000000Z"}]


def test_a_batch_sent_right_after_the_commit_sends_each_notice_its_own_rows(frozen, monkeypatch, hook):
    monkeypatch.setattr(errors_table, "CLAIM_CHUNK", 2)
    monkeypatch.setattr(events_module, "CHUNK", 2)
    monkeypatch.setattr(outbox_table, "CHUNK", 2)
    for n in range(5):
        blocking(f"Service {n}")
    move(minutes=6)
    done = tick()
    assert {n["id"]: n["deliveries"] for n in done["notices"]} == {
        f"error-{n}": [{"channel": "notify_user", "status": "sent"}] for n in range(1, 6)}
    sent = [c["payload"] for c in hook.calls() if c["payload"]["kind"] == "escalation"]
    assert sorted(p["id"] for p in sent) == [f"error-{n}" for n in range(1, 6)]
    assert all(p["title"] == f"Escalation #1 — API limit reached: {p['service']}" for p in sent)


def test_events_keep_the_due_order_around_a_first_notice(frozen):
    """A first notice (an auto-fix that never reported back) due between two escalations."""
    from opsctl.api.errors import track_error

    write_config(HELD)
    blocking("Service A")  # escalation due at +5m
    track_error("system_error", "Fixer", impact="blocking")  # error-2: open, not notified yet
    conn = Context().conn
    with transaction(conn):
        errors_table.start_remediation(conn, 2, at=clock.to_iso(T0), safety_at=clock.to_iso(at(minutes=6)))
    move(minutes=2)
    blocking("Service B")  # escalation due at +7m
    move(minutes=10)
    done = tick()
    assert [(n["id"], n["kind"]) for n in done["notices"]] == [
        ("error-1", "escalation"), ("error-2", "notice"), ("error-3", "escalation")]
    written = sorted((e for e in events("escalation") + events("status") if e["actor"] == "opsctl tick"),
                     key=lambda e: e["id"])
    assert [(e["subject_id"], e["action"]) for e in written] == [(1, "escalation"), (2, "status"), (3, "escalation")]


def test_silences_are_read_once_per_tick_and_still_hold_their_errors(frozen, monkeypatch):
    from opsctl.silences import add_silence

    write_config(HELD)
    blocking("Maintained")
    blocking("Maintained", project="other")
    blocking("Billing")
    add_silence("Maintained", duration="1h", reason="upgrade")
    reads = []
    active = silences_table.active
    monkeypatch.setattr(silences_table, "active", lambda conn, at_iso: reads.append(at_iso) or active(conn, at_iso))
    move(minutes=6)
    done = tick()
    assert len(reads) == 1
    held = {n["id"]: n["deliveries"] for n in done["notices"]}
    assert held["error-1"] == held["error-2"] == [
        {"channel": "silence", "status": "skipped", "error": "silenced by sil-1 until 2026-03-02T10:00:00.000000Z"}]
    assert held["error-3"][0]["status"] == "queued"
    assert [r["subject_id"] for r in _rows("escalation")] == [3]
    assert sorted(e["subject_id"] for e in events("silenced")) == [1, 2]


def test_queuing_an_event_and_channel_again_gives_the_row_that_was():
    conn = Context().conn
    now = "2026-03-02T09:00:00.000000Z"

    def delivery(event_id, channel):
        return {"event_id": event_id, "subject": "error", "subject_id": 1, "channel": channel, "purpose": "test",
                "payload": {"n": event_id}}, now

    with transaction(conn):
        first, second = (events_module.add_event(conn, "error", 1, "test", at=now) for _ in range(2))
        [kept] = outbox_table.insert_many(conn, [delivery(first, "hooks")], at=now)
        ids = outbox_table.insert_many(conn, [delivery(second, "hooks"), delivery(first, "hooks"),
                                              delivery(first, "slack")], at=now)
    assert ids[1] == kept and len({kept, ids[0], ids[2]}) == 3
    assert len(outbox_table.query(conn, statuses=None, channel=None, limit=None)) == 3
