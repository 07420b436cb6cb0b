"""The event log: every state change of every record, who/what/when."""

from __future__ import annotations

import json
import sqlite3


def add_event(conn: sqlite3.Connection, subject: str, subject_id: int, action: str, *, at: str,
              actor: str | None = None, from_status: str | None = None, to_status: str | None = None,
              note: str | None = None, data: dict | None = None) -> int:
    from ..scrub import scrub, scrub_obj

    note, data = scrub(note), scrub_obj(data)  # notes come straight from users (update-error --note)
    cursor = conn.execute(
        "INSERT INTO events (subject, subject_id, action, from_status, to_status, actor, at, note, data)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (subject, subject_id, action, from_status, to_status, actor, at, note,
         json.dumps(data, ensure_ascii=False) if data else None),
    )
    if action != "occurred" and getattr(conn, "backend", "sqlite") == "postgresql":
        from .pg import notify

        notify(conn, subject, subject_id)  # wakes `opsctl wait` on every host at COMMIT
    return cursor.lastrowid


def history(conn: sqlite3.Connection, subject: str, subject_id: int) -> list[dict]:
    rows = conn.execute(
        "SELECT id, action, from_status, to_status, actor, at, note, data FROM events"
        " WHERE subject = ? AND subject_id = ? ORDER BY id",
        (subject, subject_id),
    ).fetchall()
    return [
        {
            "event": row["id"], "action": row["action"], "from_status": row["from_status"],
            "to_status": row["to_status"], "actor": row["actor"], "at": row["at"], "note": row["note"],
            **({"data": json.loads(row["data"])} if row["data"] else {}),
        }
        for row in rows
    ]


def count_since(conn: sqlite3.Connection, subject: str, subject_id: int, action: str, *, since: str) -> int:
    """How many `action` events the record has had since `since` (inclusive)."""
    return conn.execute("SELECT COUNT(*) FROM events WHERE subject = ? AND subject_id = ? AND action = ? AND at >= ?",
                        (subject, subject_id, action, since)).fetchone()[0]
