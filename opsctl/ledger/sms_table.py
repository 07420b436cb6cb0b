"""`sms_messages`: each text's Twilio SID and its last known delivery status (polled by tick)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from ..clock import parse_iso, to_iso

FINAL_SQL = "('delivered', 'failed', 'undelivered', 'canceled')"
LATE_COMMIT = timedelta(hours=1)  # a send recorded this long before the newest one seen may commit after it


def discover(conn: sqlite3.Connection, channels: list[str]) -> int:
    """Note the SIDs of SMS deliveries sent since the last look; returns how many are new.

    By send time, not by delivery id: a text that went out on a retry has an older id than ones
    already seen. The SID is the key, so looking at a stretch twice notes nothing twice."""
    if not channels:
        return 0
    marks = ", ".join("?" * len(channels))
    newest = conn.execute("SELECT MAX(sent_at) AS last FROM sms_messages").fetchone()["last"]
    since = to_iso(parse_iso(newest) - LATE_COMMIT) if newest else ""
    rows = conn.execute(f"SELECT id, channel, subject_id, remote_id, sent_at FROM deliveries WHERE sent_at >= ?"
                        f" AND status = 'sent' AND channel IN ({marks}) AND remote_id IS NOT NULL ORDER BY sent_at",
                        (since, *channels)).fetchall()
    added = 0
    for row in rows:
        for sid in filter(None, (row["remote_id"] or "").split(",")):
            added += conn.execute(
                "INSERT INTO sms_messages (sid, delivery_id, channel, subject_id, status, sent_at)"
                " VALUES (?, ?, ?, ?, 'sent', ?) ON CONFLICT (sid) DO NOTHING",
                (sid, row["id"], row["channel"], row["subject_id"], row["sent_at"])).rowcount
    return added


def pending(conn: sqlite3.Connection, limit: int) -> list:
    return conn.execute(f"SELECT * FROM sms_messages WHERE status NOT IN {FINAL_SQL} ORDER BY sent_at LIMIT ?",
                        (limit,)).fetchall()


def set_status(conn: sqlite3.Connection, sid: str, status: str, error: str | None, at: str) -> bool:
    """True when the status changed (so a failure is reported once)."""
    return conn.execute("UPDATE sms_messages SET status = ?, error = ?, checked_at = ? WHERE sid = ? AND status <> ?",
                        (status, error, at, sid, status)).rowcount == 1
