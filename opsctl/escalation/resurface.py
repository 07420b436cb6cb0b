"""Deferred integration requests come back (to `pending`) on their `--until` date."""

from __future__ import annotations

import sqlite3

from ..ledger.events import add_event

DUE = ("SELECT * FROM requests WHERE status = 'deferred' AND until IS NOT NULL AND until <= ?"
       " ORDER BY until LIMIT ?")


def due(conn: sqlite3.Connection, at: str, limit: int) -> list[sqlite3.Row]:
    return conn.execute(DUE, (at, limit)).fetchall()


def claim(ctx, row, at: str) -> int | None:
    """Inside tick's transaction: move the request back to pending; its event id, or None if lost."""
    try:
        claimed = ctx.conn.execute(
            "UPDATE requests SET status = 'pending', until = NULL, updated_at = ?"
            " WHERE id = ? AND status = 'deferred' AND until = ?", (at, row["id"], row["until"])).rowcount
    except sqlite3.IntegrityError:  # the same tool was asked for again meanwhile: that one stays pending
        claimed = ctx.conn.execute("UPDATE requests SET until = NULL, updated_at = ? WHERE id = ? AND until = ?",
                                   (at, row["id"], row["until"])).rowcount
        if claimed:
            add_event(ctx.conn, "request", row["id"], "resurface_skipped", at=at, actor="opsctl tick",
                      note="another request for the same tool is already pending")
        return None
    if not claimed:
        return None
    return add_event(ctx.conn, "request", row["id"], "resurfaced", at=at, actor="opsctl tick",
                     from_status="deferred", to_status="pending", data={"until": row["until"]})
