"""What `opsctl doctor` reads about the ledger itself: when tick last ran, the outbox's backlog."""

from __future__ import annotations

import sqlite3

from . import kv_table

TICK_KEY = "tick:last_run"


def tick_ran(conn: sqlite3.Connection, at: str) -> None:
    """Remember that `opsctl tick` ran at `at` (one small upsert)."""
    kv_table.put(conn, TICK_KEY, at, at=at)


def last_tick(conn: sqlite3.Connection) -> str | None:
    return kv_table.get(conn, TICK_KEY)


def outbox_backlog(conn: sqlite3.Connection, older_than: str) -> dict:
    """Deliveries still waiting since before `older_than`, and dead ones."""
    waiting = conn.execute("SELECT COUNT(*) AS n FROM deliveries WHERE status IN ('queued', 'sending')"
                           " AND created_at < ?", (older_than,)).fetchone()["n"]
    dead = conn.execute("SELECT COUNT(*) AS n FROM deliveries WHERE status = 'dead'").fetchone()["n"]
    return {"stuck": waiting, "dead": dead}
