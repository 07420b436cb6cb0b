"""Columns issue 12 added to `errors`: priority (P0-P3), escalation-chain progress, snoozes."""

from __future__ import annotations

import sqlite3


def set_priority(conn: sqlite3.Connection, error_id: int, priority: str) -> None:
    conn.execute("UPDATE errors SET priority = ? WHERE id = ?", (priority, error_id))


def chain_candidates(conn: sqlite3.Connection, impacts: list[str], limit: int) -> list:
    """Escalated errors of tiers that have a chain (unanswered: acknowledged ones have left `escalated`)."""
    if not impacts:
        return []
    marks = ", ".join("?" * len(impacts))
    return conn.execute(f"SELECT * FROM errors WHERE status = 'escalated' AND notified_at IS NOT NULL"
                        f" AND impact IN ({marks}) AND decision IS NULL ORDER BY notified_at LIMIT ?",
                        (*impacts, limit)).fetchall()


def claim_chain_steps(conn: sqlite3.Connection, error_id: int, seen: int, upto: int, at: str) -> bool:
    """Move the chain from step `seen` to `upto` (compare-and-set: one tick wins)."""
    return conn.execute("UPDATE errors SET chain_step = ?, last_escalated_at = ?, updated_at = ?"
                        " WHERE id = ? AND chain_step = ? AND status = 'escalated'",
                        (upto, at, at, error_id, seen)).rowcount == 1


def reset_chain(conn: sqlite3.Connection, error_id: int) -> None:
    conn.execute("UPDATE errors SET chain_step = 0 WHERE id = ?", (error_id,))


def snooze(conn: sqlite3.Connection, error_id: int, until: str) -> None:
    """Hold escalation until `until`: a pending timer moves to the snooze end, never earlier."""
    conn.execute("UPDATE errors SET snoozed_until = ?, next_escalation_at = CASE WHEN next_escalation_at IS NULL"
                 " THEN NULL WHEN next_escalation_at < ? THEN ? ELSE next_escalation_at END WHERE id = ?",
                 (until, until, until, error_id))


def false_positives_by_source(conn: sqlite3.Connection, since: str | None) -> list:
    where, params = "", []
    if since:
        where, params = " AND resolved_at >= ?", [since]
    return conn.execute("SELECT source, COUNT(*) AS n FROM errors WHERE status = 'false_positive'" + where +
                        " GROUP BY source ORDER BY n DESC, source", params).fetchall()
