"""Aggregates for `opsctl serve` and `opsctl metrics`: counts computed from the ledger at request time.

Every query here is an indexed aggregate (see migration m007_serve_indexes) or a running total
advanced past a watermark (see rollups), so a ledger of a million errors answers in milliseconds.
"""

from __future__ import annotations

import sqlite3

from ..vocab import ERROR_TYPES
from .errors_table import OPEN_SQL

RESOLUTION_BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 4 * 3600.0, 86400.0, 7 * 86400.0)
PENDING_SQL = "('queued', 'sending')"


def open_by_impact(conn: sqlite3.Connection) -> dict[str, int]:
    rows = conn.execute(f"SELECT impact, COUNT(*) AS n FROM errors WHERE status IN {OPEN_SQL} GROUP BY impact")
    return {row["impact"]: row["n"] for row in rows}


def open_errors(conn: sqlite3.Connection, limit: int = 200) -> list[sqlite3.Row]:
    """The open errors, worst impact first, then newest."""
    return conn.execute(
        "SELECT id, type, service, project, impact, status, details, options, occurrences, opened_at, first_seen,"
        f" last_seen, notified_at, decision, flapping FROM errors WHERE status IN {OPEN_SQL}"
        " ORDER BY CASE impact WHEN 'blocking' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, last_seen DESC LIMIT ?",
        (limit,)).fetchall()


def totals_by_type(conn: sqlite3.Connection) -> dict[str, int]:
    """Error records ever written, per type (a running total: see rollups)."""
    from .rollups import errors_by_type

    return errors_by_type(conn)


def since_count(conn: sqlite3.Connection, since: str) -> int:
    """Errors first seen or seen again at or after `since`."""
    return conn.execute("SELECT COUNT(*) FROM errors WHERE last_seen >= ?", (since,)).fetchone()[0]


def resolution_histogram(conn: sqlite3.Connection) -> tuple[list[tuple[float, int]], int, float]:
    """Cumulative (upper bound, count) pairs, the count and the sum of seconds of every resolution."""
    from .rollups import resolutions

    per_bucket, count, total = resolutions(conn, RESOLUTION_BUCKETS)
    cumulative, running = [], 0
    for bound, n in zip(RESOLUTION_BUCKETS, per_bucket, strict=False):
        running += n
        cumulative.append((bound, running))
    return cumulative, count, total


def resolved_since(conn: sqlite3.Connection, since: str) -> dict:
    row = conn.execute("SELECT COUNT(*) AS n, AVG(resolution_seconds) AS mean FROM errors"
                       " WHERE resolved_at IS NOT NULL AND resolved_at >= ?", (since,)).fetchone()
    return {"count": row["n"], "mean_seconds": row["mean"]}


def outbox_by_channel(conn: sqlite3.Connection) -> list[dict]:
    """Per channel: pending (queued or being sent), dead, and the oldest pending row's creation time."""
    rows = conn.execute(
        "SELECT channel, status, COUNT(*) AS n, MIN(created_at) AS oldest FROM deliveries"
        f" WHERE status IN {PENDING_SQL} OR status = 'dead' GROUP BY channel, status").fetchall()
    channels: dict[str, dict] = {}
    for row in rows:
        entry = channels.setdefault(row["channel"], {"channel": row["channel"], "pending": 0, "processing": 0,
                                                     "dead": 0, "oldest_pending_at": None})
        if row["status"] == "dead":
            entry["dead"] += row["n"]
            continue
        entry["pending"] += row["n"]
        if row["status"] == "sending":
            entry["processing"] += row["n"]
        if entry["oldest_pending_at"] is None or row["oldest"] < entry["oldest_pending_at"]:
            entry["oldest_pending_at"] = row["oldest"]
    return [channels[name] for name in sorted(channels)]


def sent_since(conn: sqlite3.Connection, since: str) -> int:
    return conn.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'sent' AND sent_at >= ?",
                        (since,)).fetchone()[0]


def channel_names(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT DISTINCT channel FROM deliveries ORDER BY channel")]


def runs_by_job_status(conn: sqlite3.Connection) -> list[dict]:
    rows = conn.execute("SELECT job, status, COUNT(*) AS n FROM runs GROUP BY job, status ORDER BY job, status")
    return [dict(row) for row in rows]


def job_latest(conn: sqlite3.Connection) -> list[dict]:
    """Per job: its newest run (status, duration, metrics) and its newest success's finish time."""
    rows = conn.execute(
        "SELECT r.job, r.status, r.started_at, r.finished_at, r.duration_seconds, r.metrics, r.exit_code,"
        " (SELECT MAX(s.finished_at) FROM runs s WHERE s.job = r.job AND s.status = 'SUCCESS') AS last_success_at"
        " FROM runs r JOIN (SELECT job, MAX(id) AS id FROM runs GROUP BY job) newest ON newest.id = r.id"
        " ORDER BY r.job").fetchall()
    return [dict(row) for row in rows]


def job_history(conn: sqlite3.Connection, job: str, limit: int = 30) -> list[dict]:
    """The job's newest runs, oldest first (for sparklines and metric panels)."""
    rows = conn.execute("SELECT id, status, started_at, duration_seconds, metrics FROM runs WHERE job = ?"
                        " ORDER BY started_at DESC, id DESC LIMIT ?", (job, limit)).fetchall()
    return [dict(row) for row in reversed(rows)]


def runs_since(conn: sqlite3.Connection, since: str) -> dict[str, int]:
    rows = conn.execute("SELECT status, COUNT(*) AS n FROM runs WHERE started_at >= ? GROUP BY status", (since,))
    return {row["status"]: row["n"] for row in rows}


def probes(conn: sqlite3.Connection) -> list[dict]:
    rows = conn.execute("SELECT name, status, consecutive_failures, last_checked_at, last_latency_ms"
                        " FROM probe_state ORDER BY name")
    return [dict(row) for row in rows]


def recent_events(conn: sqlite3.Connection, limit: int = 20) -> list[dict]:
    """The newest events, with the error's service and type when the event is about an error."""
    rows = conn.execute(
        "SELECT e.id, e.subject, e.subject_id, e.action, e.from_status, e.to_status, e.actor, e.at, e.note,"
        " er.service, er.type, er.impact FROM events e"
        " LEFT JOIN errors er ON e.subject = 'error' AND er.id = e.subject_id"
        " ORDER BY e.id DESC LIMIT ?", (limit,)).fetchall()
    return [dict(row) for row in rows]


def error_row(conn: sqlite3.Connection, error_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM errors WHERE id = ?", (error_id,)).fetchone()


def service_open_impacts(conn: sqlite3.Connection, service: str) -> list[str]:
    """The impacts of the open errors of one service (case-insensitive name)."""
    rows = conn.execute(f"SELECT DISTINCT impact FROM errors WHERE status IN {OPEN_SQL} AND lower(service) = lower(?)",
                        (service,))
    return [row[0] for row in rows]


def probe_status(conn: sqlite3.Connection, name: str) -> str | None:
    row = conn.execute("SELECT status FROM probe_state WHERE lower(name) = lower(?)", (name,)).fetchone()
    return row[0] if row else None
