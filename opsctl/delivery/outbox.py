"""The outbox: one `deliveries` row per (event, channel), written before any network call.

Row statuses: queued → sending (claimed) → sent | queued (retry later) | dead.
A claim is a token plus `claimed_until`; `next_attempt_at` is set to the same moment, so one
indexed condition — status IN (queued, sending) AND next_attempt_at <= now — finds both the
rows that are due and the claims a killed process left behind. Claims are taken in one UPDATE
inside BEGIN IMMEDIATE, so two `opsctl deliver` never hold the same row. Deliveries about one
record go out in order per channel: a row waits while an older one for the same record and
channel is still pending (a status change never overtakes the message it updates).
"""

from __future__ import annotations

import json
import sqlite3
import os
from datetime import timedelta

from ..clock import now, to_iso
from ..ledger import transaction
from ..scrub import scrub

PENDING = "('queued', 'sending')"
_OLDER_PENDING = (
    "EXISTS (SELECT 1 FROM deliveries o WHERE o.subject = d.subject AND o.subject_id IS d.subject_id"
    f" AND o.channel = d.channel AND o.id < d.id AND o.status IN {PENDING})"
)


def new_token() -> str:
    return os.urandom(16).hex()


def later(seconds: float) -> str:
    return to_iso(now() + timedelta(seconds=seconds))


def enqueue(conn: sqlite3.Connection, rows: list[dict], *, token: str, lease: float) -> list[dict]:
    """Insert one row per channel; those free to go now come back claimed ("sending") by `token`.

    Each dict has event_id, subject, subject_id, channel, purpose, payload, defer_until (or None).
    Returns, per input row: {"id", "status", "claimed"} — an (event, channel) pair written before
    (the same event announced twice) keeps its row and is not sent again.
    """
    at, until = to_iso(now()), later(lease)
    out = []
    with transaction(conn):
        for row in rows:
            blocked = row["defer_until"] is not None or conn.execute(
                f"SELECT 1 FROM deliveries WHERE subject = ? AND subject_id IS ? AND channel = ?"
                f" AND status IN {PENDING} LIMIT 1", (row["subject"], row["subject_id"], row["channel"])).fetchone()
            status, due = ("queued", row["defer_until"] or at) if blocked else ("sending", until)
            inserted = conn.execute(
                "INSERT INTO deliveries (event_id, subject, subject_id, channel, purpose, payload, status, attempts,"
                " next_attempt_at, claimed_until, claim_token, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (event_id, channel) DO NOTHING RETURNING id",
                (row["event_id"], row["subject"], row["subject_id"], row["channel"], row["purpose"],
                 json.dumps(row["payload"], ensure_ascii=False), status, 0 if blocked else 1, due,
                 None if blocked else until, None if blocked else token, at)).fetchone()
            if inserted is None:
                existing = conn.execute("SELECT id, status FROM deliveries WHERE event_id = ? AND channel = ?",
                                        (row["event_id"], row["channel"])).fetchone()
                out.append({"id": existing["id"], "status": existing["status"], "claimed": False})
            else:
                out.append({"id": inserted["id"], "status": status, "claimed": not blocked})
    return out


def any_due(conn: sqlite3.Connection) -> bool:
    """The cheap question every command may ask on its way out (one index lookup)."""
    return conn.execute(f"SELECT 1 FROM deliveries WHERE status IN {PENDING} AND next_attempt_at <= ? LIMIT 1",
                        (to_iso(now()),)).fetchone() is not None


def claim(conn: sqlite3.Connection, *, limit: int, token: str, lease: float) -> list[sqlite3.Row]:
    """Atomically take up to `limit` due rows (expired claims included) for this process."""
    until = later(lease)
    with transaction(conn):
        rows = conn.execute(
            "UPDATE deliveries SET status = 'sending', claim_token = ?, claimed_until = ?, next_attempt_at = ?,"
            " attempts = attempts + 1 WHERE id IN ("
            f"  SELECT d.id FROM deliveries d WHERE d.status IN {PENDING} AND d.next_attempt_at <= ?"
            f"  AND NOT {_OLDER_PENDING} ORDER BY d.next_attempt_at, d.id LIMIT ?)"
            " RETURNING *", (token, until, until, to_iso(now()), limit)).fetchall()
    return sorted(rows, key=lambda r: r["id"])


def mark_sent(conn: sqlite3.Connection, row_id: int, token: str, *, remote_id: str | None, ref: dict | None,
              ref_key: tuple | None, cache: dict | None) -> bool:
    """Record a send; False when our claim had expired and another process took the row over."""
    with transaction(conn):
        changed = conn.execute(
            "UPDATE deliveries SET status = 'sent', sent_at = ?, remote_id = ?, last_error = NULL, claim_token = NULL,"
            " claimed_until = NULL, next_attempt_at = NULL WHERE id = ? AND claim_token = ?",
            (to_iso(now()), remote_id, row_id, token)).rowcount
        if ref and ref_key:
            conn.execute(
                "INSERT INTO remote_refs (subject, subject_id, channel, remote_id, data) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (subject, subject_id, channel) DO UPDATE SET remote_id = excluded.remote_id,"
                " data = excluded.data", (*ref_key, remote_id or "", json.dumps(ref)))
        for key, value in (cache or {}).items():
            conn.execute("INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE"
                         " SET value = excluded.value, updated_at = excluded.updated_at", (key, value, to_iso(now())))
    return bool(changed)


def mark_failed(conn: sqlite3.Connection, row_id: int, token: str, *, error: str, transient: bool,
                retry_after: float | None, policy) -> str | None:
    """Queue a transient failure for a later attempt; a permanent one, or the last attempt, is dead.

    Returns "queued", "failed" (permanent: dead now), "dead" (attempts ran out), or None when our
    claim had expired and another process took the row over.
    """
    error = scrub(error)[:1000]
    with transaction(conn):
        row = conn.execute("SELECT attempts FROM deliveries WHERE id = ? AND claim_token = ?",
                           (row_id, token)).fetchone()
        if row is None:
            return None
        if not transient:
            outcome = "failed"
        elif row["attempts"] >= policy.max_attempts:
            outcome = "dead"
        else:
            outcome = "queued"
        due = later(policy.next_delay(row["attempts"], retry_after)) if outcome == "queued" else None
        conn.execute(
            "UPDATE deliveries SET status = ?, last_error = ?, next_attempt_at = ?, claim_token = NULL,"
            " claimed_until = NULL WHERE id = ?", ("queued" if outcome == "queued" else "dead", error, due, row_id))
    return outcome


def refs(conn: sqlite3.Connection, subject: str, subject_id: int | None, channel: str) -> dict | None:
    if subject_id is None:
        return None
    row = conn.execute("SELECT remote_id, data FROM remote_refs WHERE subject = ? AND subject_id = ? AND channel = ?",
                       (subject, subject_id, channel)).fetchone()
    return {"remote_id": row["remote_id"], "data": json.loads(row["data"] or "null")} if row else None


def cache(conn: sqlite3.Connection, prefix: str) -> dict:
    rows = conn.execute("SELECT key, value FROM kv WHERE key >= ? AND key < ?", (prefix, prefix + "\uffff"))
    return {row["key"]: row["value"] for row in rows}
