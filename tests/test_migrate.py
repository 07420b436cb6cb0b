"""The schema a fresh ledger gets, pinned; migrations are idempotent and concurrent-safe."""

from __future__ import annotations

import json
import sqlite3

from opsctl.ledger import connect
from opsctl.ledger.migrations import MIGRATIONS

EXPECTED_TABLES = {
    "errors", "events", "requests", "improvements", "kv", "deliveries", "remote_refs", "runs",
    "quota_readings", "probe_state", "_sqlite_migrations",
    "silences", "sms_messages", "rule_samples", "rule_alerts",  # issue 12
    "quota_readings", "probe_state", "_sqlite_migrations", "error_samples",
}


def test_fresh_ledger_schema(tmp_path):
    conn = connect(tmp_path / "ledger.db")
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert EXPECTED_TABLES <= tables
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    applied = [row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")]
    assert applied == [fn.__name__ for fn in MIGRATIONS]
    columns = {row[1] for row in conn.execute("PRAGMA table_info(errors)")}
    assert {"id", "fingerprint", "type", "service", "project", "impact", "status", "occurrences", "first_seen",
            "last_seen", "notified_at", "acknowledged_at", "resolved_at", "resolution_seconds",
            "priority", "chain_step", "snoozed_until"} <= columns
    outbox = {row[1] for row in conn.execute("PRAGMA table_info(deliveries)")}
    assert {"claim_token", "claim_owner", "claimed_until", "next_attempt_at", "attempts"} <= outbox


def test_one_open_error_per_fingerprint_is_a_database_rule(tmp_path):
    conn = connect(tmp_path / "ledger.db")
    insert = ("INSERT INTO errors (fingerprint, type, service, impact, status, first_seen, last_seen, opened_at,"
              " updated_at) VALUES ('fp', 'api_limit', 's', 'info', ?, 't', 't', 't', 't')")
    conn.execute(insert, ("open",))
    conn.execute(insert, ("resolved",))
    try:
        conn.execute(insert, ("escalated",))
    except sqlite3.IntegrityError:
        pass
    else:
        raise AssertionError("a second open error with the same fingerprint was accepted")


def test_reopening_is_idempotent(tmp_path):
    path = tmp_path / "ledger.db"
    connect(path).execute("INSERT INTO kv (key, value) VALUES ('k', 'v')")
    again = connect(path)
    assert again.execute("SELECT value FROM kv").fetchone()[0] == "v"


def test_concurrent_first_opens_migrate_once(tmp_path):
    """Eight processes open a new ledger at the same moment: each succeeds, every migration runs once."""
    import subprocess
    import sys

    from tests.conftest import REPO

    path = tmp_path / "ledger.db"
    code = ("import sys; sys.stdin.read(); from opsctl.ledger import connect; "
            f"conn = connect({str(path)!r}); print(conn.execute('PRAGMA user_version').fetchone()[0])")
    procs = [subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env={"PYTHONPATH": str(REPO), "PATH": ""})
             for _ in range(8)]
    for proc in procs:  # all are started and waiting on stdin: release them together
        proc.stdin.close()
    results = [(proc.wait(timeout=120), proc.stdout.read(), proc.stderr.read()) for proc in procs]
    assert all(code == 0 for code, _, _ in results), results
    assert {out.strip() for _, out, _ in results} == {str(len(MIGRATIONS))}
    conn = sqlite3.connect(path)
    applied = [row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")]
    assert applied == [fn.__name__ for fn in MIGRATIONS]  # each once, in order
    indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "events_action_at" in indexes


def test_serve_indexes(tmp_path):
    conn = connect(tmp_path / "ledger.db")
    indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"errors_type", "errors_resolution", "deliveries_channel_status", "deliveries_sent_at",
            "runs_job_status"} <= indexes


def test_queued_payloads_move_to_their_own_table_and_still_send(tmp_path, fake_hook, monkeypatch):
    """A ledger from before m014 (payloads inside `deliveries`): after the upgrade the queued row is sent
    with the payload it had, and the listing still shows what it was about."""
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    path = tmp_path / "ledger.db"
    old = sqlite3.connect(path, isolation_level=None)
    old.execute("PRAGMA journal_mode = WAL")
    migrations = Migrations("opsctl")
    for fn in MIGRATIONS[:-1]:
        migrations(name=fn.__name__)(fn)
    migrations.apply(Database(old))
    old.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    note = {"notification": {"id": "error-7", "title": "Quota: Scraper API", "message": "out of quota"}}
    old.execute("INSERT INTO deliveries (event_id, subject, subject_id, channel, purpose, payload, status, attempts,"
                " next_attempt_at, created_at) VALUES (1, 'error', 7, 'hooks', 'notify', ?, 'queued', 0, ?, ?)",
                (json.dumps(note), "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"))
    old.close()

    monkeypatch.setenv("OPSCTL_DB", str(path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "opsctl.yaml").write_text(f"channels:\n  hooks: {{type: webhook, url: '{fake_hook.hook_url}'}}\n")
    from opsctl.api.outbox import deliver, list_deliveries
    from opsctl.context import Context

    [row] = list_deliveries()
    assert (row["about"], row["title"]) == ("error-7", "Quota: Scraper API")
    conn = connect(path)
    assert "payload" not in {r[1] for r in conn.execute("PRAGMA table_info(deliveries)")}
    assert json.loads(conn.execute("SELECT payload FROM delivery_payloads WHERE delivery_id = 1").fetchone()[0]) == note
    conn.close()
    assert deliver(ctx=Context())["sent"] == 1
    [body] = fake_hook.bodies
    assert body["id"] == "error-7" and body["message"] == "out of quota" and body["purpose"] == "notify"
