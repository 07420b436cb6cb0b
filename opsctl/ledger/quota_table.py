"""Queries on `quota_readings`: every reading and every failed check, per service."""

from __future__ import annotations

import sqlite3


def insert(conn: sqlite3.Connection, service: str, *, at: str, source: str, used=None, limit=None,
           remaining=None, resets_at: str | None = None, problem: str | None = None) -> int:
    cursor = conn.execute(
        "INSERT INTO quota_readings (service, used, limit_value, remaining, resets_at, at, source, problem)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (service, used, limit, remaining, resets_at, at, source, problem))
    return cursor.lastrowid


def history(conn: sqlite3.Connection, service: str, since: str) -> list[dict]:
    """Good readings of `service` since `since`, oldest first."""
    rows = conn.execute(
        "SELECT used, limit_value, remaining, resets_at, at FROM quota_readings"
        " WHERE lower(service) = lower(?) AND problem IS NULL AND used IS NOT NULL AND at >= ? ORDER BY at, id",
        (service, since)).fetchall()
    return [dict(row) for row in rows]


def latest(conn: sqlite3.Connection) -> list[dict]:
    """The newest row (reading or failed check) of every service."""
    rows = conn.execute(
        "SELECT q.* FROM quota_readings q JOIN (SELECT lower(service) AS folded, max(id) AS id FROM quota_readings"
        " GROUP BY lower(service)) newest ON newest.id = q.id ORDER BY lower(q.service)").fetchall()
    return [dict(row) for row in rows]


def last_good(conn: sqlite3.Connection, service: str) -> dict | None:
    row = conn.execute(
        "SELECT * FROM quota_readings WHERE lower(service) = lower(?) AND problem IS NULL AND used IS NOT NULL"
        " ORDER BY at DESC, id DESC LIMIT 1", (service,)).fetchone()
    return dict(row) if row else None


def recorded_services(conn: sqlite3.Connection) -> list[str]:
    """Services with readings recorded by hand (`opsctl quota record`)."""
    return [row[0] for row in conn.execute(
        "SELECT min(service) FROM quota_readings WHERE source = 'manual' GROUP BY lower(service) ORDER BY lower(service)")]
