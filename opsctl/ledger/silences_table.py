"""The `silences` table: maintenance windows during which matching errors are recorded, not announced."""

from __future__ import annotations

import sqlite3


def insert(conn: sqlite3.Connection, *, service: str, type: str | None, project: str | None, reason: str,
           starts_at: str, ends_at: str, created_by: str) -> int:
    return conn.execute(
        "INSERT INTO silences (service, type, project, reason, starts_at, ends_at, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (service, type, project, reason, starts_at, ends_at, created_by)).fetchone()["id"]


def get(conn: sqlite3.Connection, silence_id: int):
    return conn.execute("SELECT * FROM silences WHERE id = ?", (silence_id,)).fetchone()


def listed(conn: sqlite3.Connection, *, at: str, include_ended: bool) -> list:
    if include_ended:
        return conn.execute("SELECT * FROM silences ORDER BY id").fetchall()
    return conn.execute("SELECT * FROM silences WHERE ends_at > ? AND removed_at IS NULL ORDER BY id",
                        (at,)).fetchall()


def active(conn: sqlite3.Connection, at: str) -> list:
    """Silences in force at `at` (few rows: the index holds only the unsummarized ones)."""
    return conn.execute("SELECT * FROM silences WHERE summarized_at IS NULL AND ends_at > ? AND starts_at <= ?"
                        " AND removed_at IS NULL ORDER BY id", (at, at)).fetchall()


def end(conn: sqlite3.Connection, silence_id: int, at: str) -> bool:
    """Remove: it ends now (its summary follows at the next tick)."""
    return conn.execute("UPDATE silences SET removed_at = ?, ends_at = CASE WHEN ends_at > ? THEN ? ELSE ends_at END"
                        " WHERE id = ? AND removed_at IS NULL", (at, at, at, silence_id)).rowcount == 1


def count_held(conn: sqlite3.Connection, silence_id: int) -> None:
    conn.execute("UPDATE silences SET held = held + 1 WHERE id = ?", (silence_id,))


def ended_unsummarized(conn: sqlite3.Connection, at: str) -> list:
    return conn.execute("SELECT * FROM silences WHERE summarized_at IS NULL AND ends_at <= ? ORDER BY id",
                        (at,)).fetchall()


def claim_summary(conn: sqlite3.Connection, silence_id: int, at: str) -> bool:
    """One tick wins the end-of-silence summary (compare-and-set)."""
    return conn.execute("UPDATE silences SET summarized_at = ? WHERE id = ? AND summarized_at IS NULL",
                        (at, silence_id)).rowcount == 1


def open_errors(conn: sqlite3.Connection, service: str, opened_before: str) -> list:
    """Open errors that could match a silence on `service` (exact match is checked by the caller)."""
    from .errors_table import OPEN_SQL

    return conn.execute(f"SELECT * FROM errors WHERE status IN {OPEN_SQL} AND lower(service) = lower(?)"
                        " AND first_seen <= ? ORDER BY id", (service, opened_before)).fetchall()
