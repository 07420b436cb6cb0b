"""The schema a fresh ledger gets, pinned; migrations are idempotent and concurrent-safe."""

from __future__ import annotations

import sqlite3

from opsctl.ledger import connect
from opsctl.ledger.migrations import MIGRATIONS

EXPECTED_TABLES = {
    "errors", "events", "requests", "improvements", "kv", "deliveries", "remote_refs", "runs",
    "quota_readings", "probe_state", "_sqlite_migrations",
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
            "last_seen", "notified_at", "acknowledged_at", "resolved_at", "resolution_seconds"} <= columns
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
