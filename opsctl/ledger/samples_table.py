"""Occurrence samples: each report keeps its own details (the last KEEP per error, with their times).

The error's own `details` are the first report's and are never overwritten by a repeat, so the
first evidence of a problem survives; the samples show how it went on.
"""

from __future__ import annotations

import sqlite3

KEEP = 20


def add(conn: sqlite3.Connection, error_id: int, at: str, details: str, source: str | None = None) -> None:
    """Keep this report's details; call inside the recording transaction."""
    conn.execute("INSERT INTO error_samples (error_id, at, details, source) VALUES (?, ?, ?, ?)",
                 (error_id, at, details or "", source))
    conn.execute("DELETE FROM error_samples WHERE error_id = ? AND id NOT IN"
                 " (SELECT id FROM error_samples WHERE error_id = ? ORDER BY id DESC LIMIT ?)",
                 (error_id, error_id, KEEP))


def samples(conn: sqlite3.Connection, error_id: int) -> list[dict]:
    """Oldest first: {at, details, source}."""
    rows = conn.execute("SELECT at, details, source FROM error_samples WHERE error_id = ? ORDER BY id",
                        (error_id,)).fetchall()
    return [{"at": row["at"], "details": row["details"], "source": row["source"]} for row in rows]
