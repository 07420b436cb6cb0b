"""When the ledger last saw a service used, across its tables (`opsctl integrations check`)."""

from __future__ import annotations

import sqlite3


def last_activity(conn: sqlite3.Connection, *, service: str, jobs: list[str], channels: list[str],
                  kv_key: str) -> str | None:
    """The latest of: an error about `service`, a quota reading of it whose usage moved, a run of one
    of `jobs`, a message sent through one of `channels`, the moment stored under `kv_key`.

    Names are compared lower-cased: pass `service`, `jobs` and `channels` folded to lower case.
    """
    row = conn.execute(
        "SELECT max(t) FROM ("
        " SELECT max(last_seen) AS t FROM errors WHERE lower(service) = ?"
        " UNION ALL SELECT max(at) FROM (SELECT at, used, lag(used) OVER (ORDER BY at, id) AS before"
        "  FROM quota_readings WHERE lower(service) = ? AND problem IS NULL) AS changes"
        "  WHERE used != before OR (before IS NULL AND used > 0)"
        f" UNION ALL SELECT max(started_at) FROM runs WHERE lower(job) IN ({_marks(jobs)})"
        f" UNION ALL SELECT max(sent_at) FROM deliveries WHERE status = 'sent' AND lower(channel) IN ({_marks(channels)})"
        " UNION ALL SELECT value FROM kv WHERE key = ?) AS moments",
        (service, service, *jobs, *channels, kv_key)).fetchone()
    return row[0] if row else None


def _marks(values: list) -> str:
    return ", ".join("?" * len(values))
