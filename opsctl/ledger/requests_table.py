"""Queries on the `requests` table (integration requests)."""

from __future__ import annotations

import sqlite3

from ..ids import format_id
from . import dialect
from .db import lock
from .events import add_event, history


def record(conn: sqlite3.Connection, request: dict, *, at: str, actor: str) -> tuple[sqlite3.Row, int, bool]:
    """Insert a request, or count another ask on the pending one for the same tool."""
    pending = pending_for(conn, request["tool"])
    if pending is not None:
        conn.execute("UPDATE requests SET asks = asks + 1, updated_at = ? WHERE id = ?", (at, pending["id"]))
        event_id = add_event(conn, "request", pending["id"], "asked_again", at=at, actor=actor)
        return get(conn, pending["id"]), event_id, True
    cursor = conn.execute(
        "INSERT INTO requests (tool, purpose, alternatives, urgency, cost, status, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
        (request["tool"], request["purpose"], request["alternatives"], request["urgency"], request["cost"], at, at),
    )
    event_id = add_event(conn, "request", cursor.lastrowid, "created", at=at, actor=actor, to_status="pending")
    return get(conn, cursor.lastrowid), event_id, False


def pending_for(conn: sqlite3.Connection, tool: str) -> sqlite3.Row | None:
    """The pending request for `tool` (one at most), locked; asks and reopens for one tool take turns (a lock
    on its name: the row may not exist yet)."""
    lock(conn, f"opsctl:request:{tool.lower()}")
    return conn.execute(
        "SELECT * FROM requests WHERE lower(tool) = lower(?) AND status = 'pending'" + dialect.for_update(conn),
        (tool,)).fetchone()


def get(conn: sqlite3.Connection, request_id: int, *, for_update: bool = False) -> sqlite3.Row | None:
    """The row; with `for_update`, locked until the transaction ends (for a read-then-write)."""
    return conn.execute("SELECT * FROM requests WHERE id = ?" + (dialect.for_update(conn) if for_update else ""),
                        (request_id,)).fetchone()


def query(conn: sqlite3.Connection, *, status=None, limit=None) -> list[sqlite3.Row]:
    sql, params = "SELECT * FROM requests", []
    if status:
        sql += " WHERE status = ?"
        params.append(status)
    sql += " ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
    return conn.execute(sql, params).fetchall()


def to_public(row: sqlite3.Row, *, with_history: list | None = None) -> dict:
    public = {
        "id": format_id("request", row["id"]),
        "tool": row["tool"],
        "purpose": row["purpose"],
        "alternatives": row["alternatives"],
        "urgency": row["urgency"],
        "cost": row["cost"],
        "status": row["status"],
        "asks": row["asks"],
        "note": row["note"],
        "until": row["until"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "decided_at": row["decided_at"],
    }
    if with_history is not None:
        public["history"] = with_history
    return public


def show(conn: sqlite3.Connection, request_id: int) -> dict | None:
    row = get(conn, request_id)
    return None if row is None else to_public(row, with_history=history(conn, "request", request_id))


def set_status(conn, request_id: int, status: str, *, note: str | None, until: str | None, at: str) -> None:
    conn.execute("UPDATE requests SET status = ?, note = COALESCE(?, note), until = ?, decided_at = ?, updated_at = ?"
                 " WHERE id = ?", (status, note, until, at, at, request_id))


# --- deferred requests coming back (opsctl tick): compare-and-set on `until` as it was read ---------

def due_to_resurface(conn, at: str, limit: int) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM requests WHERE status = 'deferred' AND until IS NOT NULL AND until <= ?"
                        " ORDER BY until LIMIT ?", (at, limit)).fetchall()


def resurface(conn, request_id: int, *, until: str, at: str) -> bool:
    """Deferred → pending, if still deferred until `until`. IntegrityError: another request for the
    same tool is pending (one pending request per tool)."""
    return conn.execute("UPDATE requests SET status = 'pending', until = NULL, updated_at = ?"
                        " WHERE id = ? AND status = 'deferred' AND until = ?", (at, request_id, until)).rowcount == 1


def drop_until(conn, request_id: int, *, until: str, at: str) -> bool:
    """Forget the date (the request stays deferred), if it is still `until`."""
    return conn.execute("UPDATE requests SET until = NULL, updated_at = ? WHERE id = ? AND until = ?",
                        (at, request_id, until)).rowcount == 1
