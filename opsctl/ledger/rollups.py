"""Running totals for /metrics, kept in the ledger's `kv` table and advanced by a watermark.

Counters must never go down, and at a million rows recounting them on every scrape costs
hundreds of milliseconds. Both counters here are over rows that are only ever appended —
error rows (never deleted; their type never changes) and resolution events — so a total saved
with the highest id it covered stays right: each read adds the rows past that id and saves
the new total. The totals are derived from the ledger alone (any process, any restart computes
the same), and the first read after an upgrade counts everything once.

On PostgreSQL writers run side by side and an id is handed out before its row commits, so a
row with a lower id can become visible after a higher one: a read that saves a total first
waits for the table's writers in flight (`_settled`), or the watermark would pass that row.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager, nullcontext

from ..clock import now_iso
from ..vocab import ERROR_TYPES
from . import kv_table

TYPES_KEY = "rollup:errors_by_type"
RESOLUTIONS_KEY = "rollup:resolution_histogram"


def _load(conn: sqlite3.Connection, key: str) -> dict | None:
    value = kv_table.get(conn, key)
    try:
        return json.loads(value) if value is not None else None
    except ValueError:
        return None


def _save(conn: sqlite3.Connection, key: str, value: dict) -> None:
    """Best effort: a read-only or busy ledger just means the next read counts again."""
    try:
        kv_table.put(conn, key, json.dumps(value), at=now_iso())
    except sqlite3.OperationalError:
        pass


@contextmanager
def _pg_settled(conn, table: str):
    from .db import transaction

    with transaction(conn):
        # SHARE mode waits for the transactions writing `table` and holds new ones off until COMMIT
        conn.execute(f"LOCK TABLE {table} IN SHARE MODE")
        yield


def _settled(conn, table: str):
    """Around a read that advances a watermark: every row with a lower id than those seen is visible.

    SQLite has one writer at a time, so its ids already commit in order."""
    return _pg_settled(conn, table) if conn.backend == "postgresql" else nullcontext()


def errors_by_type(conn: sqlite3.Connection) -> dict[str, int]:
    with _settled(conn, "errors"):
        return _errors_by_type(conn)


def _errors_by_type(conn: sqlite3.Connection) -> dict[str, int]:
    saved = _load(conn, TYPES_KEY) or {"through_id": 0, "counts": {}}
    counts = {kind: int(saved["counts"].get(kind, 0)) for kind in ERROR_TYPES}
    top = saved["through_id"]
    # a primary-key range read, counted here: a GROUP BY would tempt the planner into the type index
    seen = False
    for row in conn.execute("SELECT id, type FROM errors WHERE id > ?", (saved["through_id"],)):
        seen = True
        counts[row["type"]] = counts.get(row["type"], 0) + 1
        top = max(top, row["id"])
    if seen:
        _save(conn, TYPES_KEY, {"through_id": top, "counts": counts})
    return counts


def resolutions(conn: sqlite3.Connection, bounds: tuple[float, ...]) -> tuple[list[int], int, float]:
    """Per-bucket (not cumulative) counts, the count and the sum of seconds of every resolution event.

    A resolution's time is the one its event recorded, else the error's stored resolution time.
    """
    with _settled(conn, "events"):
        return _resolutions(conn, bounds)


def _resolutions(conn: sqlite3.Connection, bounds: tuple[float, ...]) -> tuple[list[int], int, float]:
    saved = _load(conn, RESOLUTIONS_KEY)
    if not saved or saved.get("bounds") != list(bounds):
        saved = {"through_event": 0, "bounds": list(bounds), "buckets": [0] * (len(bounds) + 1), "count": 0,
                 "sum": 0.0}
    buckets, count, total, top = list(saved["buckets"]), saved["count"], saved["sum"], saved["through_event"]
    rows = conn.execute(
        "SELECT e.id, e.data, er.resolution_seconds FROM events e LEFT JOIN errors er ON er.id = e.subject_id"
        " WHERE e.id > ? AND e.subject = 'error' AND e.to_status = 'resolved'", (top,))
    seen = False
    for row in rows:
        seen = True
        top = max(top, row["id"])
        seconds = _seconds(row["data"], row["resolution_seconds"])
        if seconds is None:
            continue
        index = next((i for i, bound in enumerate(bounds) if seconds <= bound), len(bounds))
        buckets[index] += 1
        count += 1
        total += seconds
    newest = conn.execute("SELECT MAX(id) FROM events").fetchone()[0] or 0
    if seen or newest > top:
        _save(conn, RESOLUTIONS_KEY, {"through_event": max(top, newest), "bounds": list(bounds), "buckets": buckets,
                                      "count": count, "sum": total})
    return buckets, count, total


def _seconds(data: str | None, stored) -> float | None:
    if data:
        try:
            value = json.loads(data).get("resolution_seconds")
        except (ValueError, AttributeError):
            value = None
        if isinstance(value, (int, float)):
            return float(value)
    return float(stored) if stored is not None else None
