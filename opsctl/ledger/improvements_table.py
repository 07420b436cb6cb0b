"""Queries on the `improvements` table."""

from __future__ import annotations

import json
import sqlite3

from ..ids import format_id
from .events import add_event


def record(conn: sqlite3.Connection, improvement: dict, *, at: str, actor: str) -> tuple[sqlite3.Row, int]:
    cursor = conn.execute(
        "INSERT INTO improvements (department, operation, improvement, impact, category, targets, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (improvement["department"], improvement["operation"], improvement["improvement"], improvement["impact"],
         improvement["category"], json.dumps(improvement.get("targets") or []), at),
    )
    event_id = add_event(conn, "improvement", cursor.lastrowid, "created", at=at, actor=actor)
    return get(conn, cursor.lastrowid), event_id


def get(conn: sqlite3.Connection, improvement_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM improvements WHERE id = ?", (improvement_id,)).fetchone()


def query(conn: sqlite3.Connection, *, category=None, department=None, limit=None) -> list[sqlite3.Row]:
    where, params = [], []
    for column, value in (("category", category), ("department", department)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    sql = "SELECT * FROM improvements" + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
    return conn.execute(sql, params).fetchall()


def to_public(row: sqlite3.Row) -> dict:
    return {
        "id": format_id("improvement", row["id"]),
        "department": row["department"],
        "operation": row["operation"],
        "improvement": row["improvement"],
        "impact": row["impact"],
        "category": row["category"],
        "targets": json.loads(row["targets"]),
        "created_at": row["created_at"],
    }
