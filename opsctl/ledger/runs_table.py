"""Queries on the `runs` table: one row per `opsctl run`, skipped runs included."""

from __future__ import annotations

import json
import sqlite3

from ..ids import format_id

COLUMNS = ("id", "job", "status", "exit_code", "started_at", "finished_at", "duration_seconds", "tail",
           "metrics", "message", "error_id")


def insert(conn: sqlite3.Connection, *, job: str, status: str, exit_code: int, started_at: str,
           finished_at: str | None, duration_seconds: float | None, tail: str = "", metrics: dict | None = None,
           message: str = "") -> int:
    cursor = conn.execute(
        "INSERT INTO runs (job, status, exit_code, started_at, finished_at, duration_seconds, tail, metrics, message)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (job, status, exit_code, started_at, finished_at, duration_seconds, tail,
         json.dumps(metrics, ensure_ascii=False, default=str) if metrics else None, message or None))
    return cursor.lastrowid


def set_error(conn: sqlite3.Connection, run_id: int, error_id: int) -> None:
    conn.execute("UPDATE runs SET error_id = ? WHERE id = ?", (error_id, run_id))


def recent(conn: sqlite3.Connection, job: str, limit: int = 20) -> list[dict]:
    rows = conn.execute("SELECT * FROM runs WHERE job = ? ORDER BY started_at DESC, id DESC LIMIT ?",
                        (job, limit)).fetchall()
    return [to_public(row) for row in rows]


def job_names(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT DISTINCT job FROM runs ORDER BY job")]


def last_success(conn: sqlite3.Connection, job: str) -> str | None:
    row = conn.execute("SELECT finished_at FROM runs WHERE job = ? AND status = 'SUCCESS'"
                       " ORDER BY started_at DESC LIMIT 1", (job,)).fetchone()
    return row[0] if row else None


def to_public(row: sqlite3.Row) -> dict:
    run = {name: row[name] for name in COLUMNS}
    run["metrics"] = json.loads(row["metrics"]) if row["metrics"] else {}
    run["error_id"] = format_id("error", row["error_id"]) if row["error_id"] else None
    run["message"] = row["message"] or ""
    return run
