"""What `opsctl doctor` reads about the ledger itself: when tick last ran, the outbox's backlog."""

from __future__ import annotations

import sqlite3

TICK_KEY = "tick:last_run"


def tick_ran(conn: sqlite3.Connection, at: str) -> None:
    """Remember that `opsctl tick` ran at `at` (one small upsert)."""
    conn.execute("INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)"
                 " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                 (TICK_KEY, at, at))


def last_tick(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM kv WHERE key = ?", (TICK_KEY,)).fetchone()
    return row["value"] if row else None


def outbox_backlog(conn: sqlite3.Connection, older_than: str) -> dict:
    """Deliveries still waiting since before `older_than`, and dead ones."""
    waiting = conn.execute("SELECT COUNT(*) AS n FROM deliveries WHERE status IN ('queued', 'sending')"
                           " AND created_at < ?", (older_than,)).fetchone()["n"]
    dead = conn.execute("SELECT COUNT(*) AS n FROM deliveries WHERE status = 'dead'").fetchone()["n"]
    return {"stuck": waiting, "dead": dead}
