"""Queries on `probe_state`: each probe's counters, status and open error between runs of `opsctl probe`."""

from __future__ import annotations

import sqlite3

COLUMNS = ("name", "status", "consecutive_failures", "consecutive_successes", "last_checked_at", "last_error",
           "last_latency_ms", "error_id")


def get(conn: sqlite3.Connection, name: str) -> dict | None:
    row = conn.execute("SELECT * FROM probe_state WHERE name = ?", (name,)).fetchone()
    return dict(row) if row else None


def save(conn: sqlite3.Connection, state: dict) -> None:
    """Insert or replace the probe's row (`state["name"]`); a column missing from `state` is stored as NULL."""
    conn.execute(
        "INSERT INTO probe_state (name, status, consecutive_failures, consecutive_successes, last_checked_at,"
        " last_error, last_latency_ms, error_id) VALUES (:name, :status, :consecutive_failures,"
        " :consecutive_successes, :last_checked_at, :last_error, :last_latency_ms, :error_id)"
        " ON CONFLICT(name) DO UPDATE SET status = excluded.status,"
        " consecutive_failures = excluded.consecutive_failures,"
        " consecutive_successes = excluded.consecutive_successes, last_checked_at = excluded.last_checked_at,"
        " last_error = excluded.last_error, last_latency_ms = excluded.last_latency_ms, error_id = excluded.error_id",
        {key: state.get(key) for key in COLUMNS})


def mark(conn: sqlite3.Connection, name: str, *, status: str, error_id: int | None) -> None:
    """The probe's shown status (up, down, …) and the error it holds open, after raising or resolving."""
    conn.execute("UPDATE probe_state SET status = ?, error_id = ? WHERE name = ?", (status, error_id, name))
