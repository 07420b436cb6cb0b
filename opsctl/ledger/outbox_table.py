"""Queries on the outbox: `deliveries` (one row per event and channel), `remote_refs` and `kv`.

Row statuses: queued → sending (claimed) → sent | queued (retry later) | dead.
A claim is a random token, an owner ("<boot id>:<pid>:<process start>") and a lease
(`claimed_until`, renewed while the send runs). `next_attempt_at` of a claimed row is its lease,
so one indexed condition finds both the rows that are due and the claims to look at again.
Every claim is a compare-and-set UPDATE … RETURNING, so two processes never hold one row; on
PostgreSQL its candidates are read `FOR UPDATE SKIP LOCKED`, so concurrent claims (many hosts
running `deliver`) take different rows instead of queueing behind each other.
Deliveries about one record go out in order per channel: a row waits while an older one for
the same record and channel is still pending.

Every function takes `conn`; the callers own the transactions (`with transaction(conn):`).
"""

from __future__ import annotations

import json

from . import dialect, kv_table

PENDING = "('queued', 'sending')"


def _earlier(more: str = "") -> str:
    """SQL: an older delivery about the same record as `d`, to the same channel (and `more`).

    Two EXISTS rather than one with `subject_id = … OR both NULL`: an OR makes SQLite search the
    index on `subject` alone unless ANALYZE has run, and then every claimed row scans every
    delivery about any error (a claim of 200 rows in a 10k-row outbox took a second)."""
    where = f"o.subject = d.subject AND o.channel = d.channel AND o.id < d.id{more}"
    return (f"(EXISTS (SELECT 1 FROM deliveries o WHERE o.subject_id = d.subject_id AND {where})"
            f" OR (d.subject_id IS NULL AND EXISTS (SELECT 1 FROM deliveries o WHERE o.subject_id IS NULL AND {where})))")


_OLDER_PENDING = _earlier(f" AND o.status IN {PENDING}")


def insert(conn, row: dict, *, due: str, at: str) -> tuple[int, bool]:
    """Queue one delivery; (id, True) when written now, (id, False) when this (event, channel) already was."""
    inserted = conn.execute(
        "INSERT INTO deliveries (event_id, subject, subject_id, channel, purpose, status, attempts,"
        " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?)"
        " ON CONFLICT (event_id, channel) DO NOTHING RETURNING id",
        (row["event_id"], row["subject"], row["subject_id"], row["channel"], row["purpose"], due, at)).fetchone()
    if inserted is not None:
        conn.execute("INSERT INTO delivery_payloads (delivery_id, payload) VALUES (?, ?)",
                     (inserted["id"], json.dumps(row["payload"], ensure_ascii=False)))
        return inserted["id"], True
    existing = conn.execute("SELECT id FROM deliveries WHERE event_id = ? AND channel = ?",
                            (row["event_id"], row["channel"])).fetchone()
    return existing["id"], False


CHUNK = 500  # rows per multi-row INSERT: 8 parameters each (SQLite allows 32766, PostgreSQL 65535)


def insert_many(conn, rows: list[tuple[dict, str]], *, at: str) -> list[int]:
    """`insert` for many (row, due) at once, one INSERT per CHUNK rows; their ids in order.

    Every row needs an `event_id` (the (event, channel) key maps the ids back to the rows)."""
    ids: dict = {}
    for start in range(0, len(rows), CHUNK):
        part = rows[start:start + CHUNK]
        marks = ", ".join(["(?, ?, ?, ?, ?, 'queued', 0, ?, ?)"] * len(part))
        params = [value for row, due in part for value in (
            row["event_id"], row["subject"], row["subject_id"], row["channel"], row["purpose"], due, at)]
        returned = conn.execute(
            "INSERT INTO deliveries (event_id, subject, subject_id, channel, purpose, status, attempts,"
            f" next_attempt_at, created_at) VALUES {marks} ON CONFLICT (event_id, channel) DO NOTHING"
            " RETURNING id, event_id, channel", params).fetchall()
        new = {(r["event_id"], r["channel"]): r["id"] for r in returned}
        ids.update(new)
        texts = [(new[key], json.dumps(row["payload"], ensure_ascii=False)) for row, _ in part
                 if (key := (row["event_id"], row["channel"])) in new]
        if texts:
            conn.execute("INSERT INTO delivery_payloads (delivery_id, payload) VALUES "
                         + ", ".join(["(?, ?)"] * len(texts)), [v for pair in texts for v in pair])
    found = []
    for row, _ in rows:
        key = (row["event_id"], row["channel"])
        if key not in ids:  # queued before: the row that was
            ids[key] = conn.execute("SELECT id FROM deliveries WHERE event_id = ? AND channel = ?",
                                    key).fetchone()["id"]
        found.append(ids[key])
    return found


def any_due(conn, at: str) -> bool:
    return conn.execute(f"SELECT 1 FROM deliveries WHERE status IN {PENDING} AND next_attempt_at <= ? LIMIT 1",
                        (at,)).fetchone() is not None


def claim(conn, *, ids: list[int] | None, limit: int, token: str, owner: str, until: str, at: str) -> list:
    """Take queued rows that are due (only `ids`, when given) for `owner`; returns the claimed rows."""
    only, params = "", []
    if ids is not None:
        if not ids:
            return []
        only = f" AND d.id IN ({', '.join('?' * len(ids))})"
        params = list(ids)
    rows = conn.execute(
        "UPDATE deliveries SET status = 'sending', claim_token = ?, claim_owner = ?, claimed_until = ?,"
        " next_attempt_at = ?, attempts = attempts + 1 WHERE status = 'queued' AND id IN ("
        "  SELECT d.id FROM deliveries d WHERE d.status = 'queued' AND d.next_attempt_at <= ?"
        f"  {only} AND NOT {_OLDER_PENDING} ORDER BY d.next_attempt_at, d.id LIMIT ?{dialect.skip_locked(conn, 'd')})"
        " RETURNING *", (token, owner, until, until, at, *params, limit)).fetchall()
    return with_payloads(conn, sorted(rows, key=lambda r: r["id"]))


def with_payloads(conn, rows: list) -> list[dict]:
    """The rows as dicts, each with its queued `payload` (JSON text) from delivery_payloads."""
    texts: dict[int, str] = {}
    for part in _chunks([row["id"] for row in rows]):
        texts.update((r["delivery_id"], r["payload"]) for r in conn.execute(
            f"SELECT delivery_id, payload FROM delivery_payloads WHERE delivery_id IN ({', '.join('?' * len(part))})",
            part).fetchall())
    return [dict(row, payload=texts.get(row["id"], "{}")) for row in rows]


def claimed_due(conn, *, at: str, limit: int) -> list:
    """Claims whose lease ran out: the caller decides whether their owner is really gone.

    Locked (skipping rows another process is busy with), so the take-overs that follow never wait."""
    return conn.execute("SELECT id, claim_token, claim_owner, claimed_until FROM deliveries"
                        " WHERE status = 'sending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?"
                        + dialect.skip_locked(conn, "deliveries"), (at, limit)).fetchall()


def take_over(conn, row_id: int, *, old_token: str | None, token: str, owner: str, until: str):
    """Move a claim from a gone owner to us (compare-and-set on its token); the row, or None."""
    row = conn.execute(
        "UPDATE deliveries SET claim_token = ?, claim_owner = ?, claimed_until = ?, next_attempt_at = ?,"
        " attempts = attempts + 1 WHERE id = ? AND status = 'sending'"
        " AND (claim_token = ? OR (? IS NULL AND claim_token IS NULL)) RETURNING *",
        (token, owner, until, until, row_id, old_token, old_token)).fetchone()
    return with_payloads(conn, [row])[0] if row is not None else None


def renew(conn, ids: list[int], *, token: str, until: str) -> int:
    """The heartbeat: push the lease of our claims forward."""
    if not ids:
        return 0
    marks = ", ".join("?" * len(ids))
    return conn.execute(f"UPDATE deliveries SET claimed_until = ?, next_attempt_at = ? WHERE id IN ({marks})"
                        " AND claim_token = ? AND status = 'sending'", (until, until, *ids, token)).rowcount


def holds(conn, row_id: int, token: str) -> bool:
    """Is the claim still ours? Asked right before each network call."""
    return conn.execute("SELECT 1 FROM deliveries WHERE id = ? AND claim_token = ? AND status = 'sending'",
                        (row_id, token)).fetchone() is not None


def holding(conn, ids: list[int], token: str) -> set[int]:
    """Which of `ids` are still claimed by `token`."""
    if not ids:
        return set()
    marks = ", ".join("?" * len(ids))
    return {r["id"] for r in conn.execute(f"SELECT id FROM deliveries WHERE id IN ({marks}) AND claim_token = ?"
                                          " AND status = 'sending'", (*ids, token))}


def get(conn, row_id: int):
    return conn.execute("SELECT d.*, p.payload FROM deliveries d LEFT JOIN delivery_payloads p"
                        " ON p.delivery_id = d.id WHERE d.id = ?", (row_id,)).fetchone()


def statuses(conn, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    return {r["id"]: r["status"] for r in conn.execute(f"SELECT id, status FROM deliveries WHERE id IN ({marks})",
                                                       list(ids))}


def mark_sent(conn, row_id: int, token: str, *, at: str, remote_id: str | None, ref: dict | None,
              ref_key: tuple | None, cache: dict | None) -> bool:
    """Record a send; False when the row is no longer ours."""
    changed = conn.execute(
        "UPDATE deliveries SET status = 'sent', sent_at = ?, remote_id = ?, last_error = NULL, claim_token = NULL,"
        " claim_owner = NULL, claimed_until = NULL, next_attempt_at = NULL WHERE id = ? AND claim_token = ?",
        (at, remote_id, row_id, token)).rowcount
    if changed and ref and ref_key:
        conn.execute(
            "INSERT INTO remote_refs (subject, subject_id, channel, remote_id, data) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (subject, subject_id, channel) DO UPDATE SET remote_id = excluded.remote_id,"
            " data = excluded.data", (*ref_key, remote_id or "", json.dumps(ref)))
    for key, value in sorted((cache or {}).items()):  # one order of row locks for every writer
        kv_table.put(conn, key, value, at=at)
    return bool(changed)


def attempts(conn, row_id: int, token: str) -> int | None:
    """Tries so far while the claim is ours (the row locked, for the `release` that follows), else None."""
    row = conn.execute("SELECT attempts FROM deliveries WHERE id = ? AND claim_token = ?" + dialect.for_update(conn),
                       (row_id, token)).fetchone()
    return None if row is None else row["attempts"]


def release(conn, row_id: int, *, status: str, error: str, due: str | None) -> None:
    """End our claim: back to `queued` (due again at `due`) or `dead`."""
    conn.execute("UPDATE deliveries SET status = ?, last_error = ?, next_attempt_at = ?, claim_token = NULL,"
                 " claim_owner = NULL, claimed_until = NULL WHERE id = ?", (status, error, due, row_id))


def cache(conn, prefix: str) -> dict:
    rows = conn.execute("SELECT key, value FROM kv WHERE key >= ? AND key < ?", (prefix, prefix + "\uffff"))
    return {row["key"]: row["value"] for row in rows}


# --- `opsctl outbox list|retry` -------------------------------------------------------------------

LIST_COLUMNS = ("id, event_id, subject, subject_id, channel, purpose, status, attempts, next_attempt_at,"
                " claimed_until, claim_owner, last_error, remote_id, created_at, sent_at,"
                " (SELECT payload FROM delivery_payloads WHERE delivery_id = deliveries.id) AS payload")


def query(conn, *, statuses: list[str] | None, channel: str | None, limit: int | None) -> list:
    where, params = [], []
    if statuses:
        where.append(f"status IN ({', '.join('?' * len(statuses))})")
        params += statuses
    if channel:
        where.append("channel = ?")
        params.append(channel)
    sql = f"SELECT {LIST_COLUMNS} FROM deliveries" + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
    return conn.execute(sql, params).fetchall()


def requeue(conn, *, ids: list[int] | None, at: str) -> int:
    """Fresh attempts, due now: the named rows (never one being or already sent) or, with ids None, every dead one."""
    if ids is not None:
        marks = ", ".join("?" * len(ids))
        where, params = f"id IN ({marks}) AND status NOT IN ('sending', 'sent')", list(ids)
    else:
        where, params = "status = 'dead'", []
    return conn.execute(
        "UPDATE deliveries SET status = 'queued', attempts = 0, next_attempt_at = ?, claim_token = NULL,"
        f" claim_owner = NULL, claimed_until = NULL WHERE {where}", (at, *params)).rowcount


def counts(conn, *, since: str) -> dict:
    """Backlog figures: pending, processing, dead, sent since `since`."""
    row = conn.execute(
        "SELECT SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END) AS pending,"
        " SUM(CASE WHEN status = 'sending' THEN 1 ELSE 0 END) AS processing,"
        " SUM(CASE WHEN status = 'dead' THEN 1 ELSE 0 END) AS dead,"
        " SUM(CASE WHEN status = 'sent' AND sent_at >= ? THEN 1 ELSE 0 END) AS sent_recently FROM deliveries",
        (since,)).fetchone()
    return {k: row[k] or 0 for k in ("pending", "processing", "dead", "sent_recently")}


# --- retention --------------------------------------------------------------------------------------

def unpruned_sent_before(conn, before: str, *, limit: int) -> list:
    """Sent rows whose payload is older than the retention and still whole (the partial index)."""
    return conn.execute("SELECT d.id, p.payload FROM deliveries d JOIN delivery_payloads p ON p.delivery_id = d.id"
                        " WHERE d.status = 'sent' AND d.payload_pruned_at IS NULL AND d.sent_at < ?"
                        " ORDER BY d.sent_at LIMIT ?", (before, limit)).fetchall()


def prune_payloads(conn, stubs: dict[int, str], *, at: str) -> int:
    """Replace each row's payload with its stub; the delivery record (who, where, when) stays."""
    pruned = []
    for part in _chunks(list(stubs)):
        pruned += [row["id"] for row in conn.execute(
            f"UPDATE deliveries SET payload_pruned_at = ? WHERE id IN ({', '.join('?' * len(part))})"
            " AND status = 'sent' RETURNING id", (at, *part)).fetchall()]
    conn.executemany("UPDATE delivery_payloads SET payload = ? WHERE delivery_id = ?",
                     [(stubs[row_id], row_id) for row_id in pruned])
    return len(pruned)

# --- batches: what `opsctl deliver` and tick look up once per claimed batch, not once per row ------

CHUNK = 500  # ids per statement (well under SQLite's and PostgreSQL's parameter limits)


def _chunks(ids: list[int]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def refs_for(conn, ids: list[int]) -> dict[int, dict]:
    """`refs` of each delivery in `ids` that has one: {delivery id: {remote_id, data}}."""
    found = {}
    for part in _chunks(ids):
        marks = ", ".join("?" * len(part))
        for row in conn.execute(
                "SELECT d.id, r.remote_id, r.data FROM deliveries d JOIN remote_refs r ON r.subject = d.subject"
                f" AND r.subject_id = d.subject_id AND r.channel = d.channel WHERE d.id IN ({marks})", part):
            found[row["id"]] = {"remote_id": row["remote_id"], "data": json.loads(row["data"] or "null")}
    return found


def with_earlier(conn, ids: list[int]) -> set[int]:
    """Which of `ids` have an earlier delivery about the same record to the same channel (a first try
    may have landed)."""
    found = set()
    for part in _chunks(ids):
        marks = ", ".join("?" * len(part))
        found.update(row["id"] for row in conn.execute(
            f"SELECT d.id FROM deliveries d WHERE d.id IN ({marks}) AND {_earlier()}", part))
    return found


def unclaim(conn, ids: list[int], token: str, *, at: str) -> int:
    """Give back claims never tried (the time budget ran out first): queued, due now, the attempt not counted."""
    changed = 0
    for part in _chunks(ids):
        marks = ", ".join("?" * len(part))
        changed += conn.execute(
            "UPDATE deliveries SET status = 'queued', attempts = attempts - 1, next_attempt_at = ?, claim_token = NULL,"
            f" claim_owner = NULL, claimed_until = NULL WHERE id IN ({marks}) AND claim_token = ? AND status = 'sending'",
            (at, *part, token)).rowcount
    return changed


def mark_sent_many(conn, ids: list[int], token: str, *, at: str) -> set[int]:
    """`mark_sent` for rows with nothing to remember (no ref, no cache), in one statement per chunk;
    returns the ids that were still ours."""
    mine = set()
    for part in _chunks(ids):
        marks = ", ".join("?" * len(part))
        mine.update(row["id"] for row in conn.execute(
            "UPDATE deliveries SET status = 'sent', sent_at = ?, remote_id = NULL, last_error = NULL, claim_token = NULL,"
            " claim_owner = NULL, claimed_until = NULL, next_attempt_at = NULL"
            f" WHERE id IN ({marks}) AND claim_token = ? RETURNING id", (at, *part, token)))
    return mine

