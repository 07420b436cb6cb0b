"""When the ledger first saw each scheduled job (kv key `job.first_seen.<name>`).

A job added to `jobs:` today has not missed anything yet: it is late only once its first
scheduled time after this moment has passed, plus its grace.
"""

from __future__ import annotations

PREFIX = "job.first_seen."


def first_seen(conn, job: str, at: str) -> str:
    """The first time `job` was seen; records `at` when this is the first time (one atomic statement)."""
    conn.execute("INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
                 (PREFIX + job, at, at))
    return conn.execute("SELECT value FROM kv WHERE key = ?", (PREFIX + job,)).fetchone()["value"]
