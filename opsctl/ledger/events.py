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


CHUNK = 500  # rows per multi-row INSERT: 9 parameters each, well under SQLite's 32766 and PostgreSQL's 65535


def add_events(conn, subject: str, rows: list[dict], *, at: str, actor: str | None = None) -> list[int]:
    """`add_event` for many records at once (one INSERT per CHUNK rows): each row has `subject_id`,
    `action` and optionally `data`, and no two rows share both. Returns the event ids in row order."""
    from ..scrub import scrub_obj

    keys = [(row["subject_id"], row["action"]) for row in rows]
    if len(set(keys)) != len(keys):
        raise ValueError("add_events: one event per record and action in a batch")
    scrubbed: dict = {}  # a tick's rows repeat their timestamps: each distinct string scrubbed once
    values = []
    for row in rows:
        data = scrub_obj(row.get("data"), memo=scrubbed)
        values.append((subject, row["subject_id"], row["action"], actor, at,
                       json.dumps(data, ensure_ascii=False) if data else None))
    ids: dict = {}
    for start in range(0, len(values), CHUNK):
        part = values[start:start + CHUNK]
        marks = ", ".join(["(?, ?, ?, NULL, NULL, ?, ?, NULL, ?)"] * len(part))
        returned = conn.execute(
            "INSERT INTO events (subject, subject_id, action, from_status, to_status, actor, at, note, data)"
            f" VALUES {marks} RETURNING id, subject_id, action", [v for row in part for v in row]).fetchall()
        ids.update(((r["subject_id"], r["action"]), r["id"]) for r in returned)
    if getattr(conn, "backend", "sqlite") == "postgresql" and any(row["action"] != "occurred" for row in rows):
        from .pg import notify_many

        notify_many(conn, subject, sorted({row["subject_id"] for row in rows if row["action"] != "occurred"}))
    return [ids[key] for key in keys]


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
