"""`rule_samples` (each run's result per timed rule) and `rule_alerts` (the last alert per rule)."""

from __future__ import annotations

import sqlite3


def add_sample(conn: sqlite3.Connection, rule: str, scope: str, at: str, held: bool) -> None:
    conn.execute("INSERT INTO rule_samples (rule, scope, at, held) VALUES (?, ?, ?, ?)", (rule, scope, at, int(held)))


def samples(conn: sqlite3.Connection, rule: str, scope: str, since: str) -> list:
    return conn.execute("SELECT at, held FROM rule_samples WHERE rule = ? AND scope = ? AND at >= ? ORDER BY at, id",
                        (rule, scope, since)).fetchall()


def last_alert(conn: sqlite3.Connection, rule: str, scope: str) -> str | None:
    row = conn.execute("SELECT last_alert_at FROM rule_alerts WHERE rule = ? AND scope = ?", (rule, scope)).fetchone()
    return row["last_alert_at"] if row else None


def set_last_alert(conn: sqlite3.Connection, rule: str, scope: str, at: str) -> None:
    conn.execute("INSERT INTO rule_alerts (rule, scope, last_alert_at) VALUES (?, ?, ?) ON CONFLICT (rule, scope)"
                 " DO UPDATE SET last_alert_at = excluded.last_alert_at", (rule, scope, at))


def open_error(conn: sqlite3.Connection, source: str) -> bool:
    from .errors_table import OPEN_SQL

    return conn.execute(f"SELECT 1 FROM errors WHERE status IN {OPEN_SQL} AND source = ? LIMIT 1",
                        (source,)).fetchone() is not None


def prune(conn: sqlite3.Connection, before: str) -> None:
    conn.execute("DELETE FROM rule_samples WHERE at < ?", (before,))
