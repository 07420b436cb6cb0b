"""Migrations on PostgreSQL: the same list as SQLite, recorded in `schema_migrations`.

Many processes may open a new database at once: the first takes an advisory
lock and migrates, the others wait on the lock and find the work done.
"""

from __future__ import annotations

import psycopg

from ..clock import now, to_iso
from . import dialect
from .migrations import MIGRATIONS


class _Script:
    """What a migration function sees as `db`: executescript() in PostgreSQL's words."""

    def __init__(self, raw):
        self.raw = raw

    def executescript(self, script: str) -> None:
        self.raw.execute(dialect.ddl(script))

    def execute(self, sql: str, params=()):
        return self.raw.execute(dialect.query(sql), params or None)


def applied(raw) -> list[str]:
    try:
        return [row[0] for row in raw.execute("SELECT name FROM schema_migrations ORDER BY applied_at, name")]
    except psycopg.errors.UndefinedTable:
        return []


def ensure_migrated(conn) -> None:
    raw = conn.raw
    try:
        done = raw.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
    except psycopg.errors.UndefinedTable:
        done = -1
    if done >= len(MIGRATIONS):
        return
    with raw.transaction():
        raw.execute("SELECT pg_advisory_xact_lock(hashtext('opsctl:migrate'))")
        raw.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        raw.execute(dialect.PG_COMPAT)
        have = set(applied(raw))
        for fn in MIGRATIONS:
            if fn.__name__ in have:
                continue
            fn(_Script(raw))
            raw.execute("INSERT INTO schema_migrations (name, applied_at) VALUES (%s, %s)",
                        (fn.__name__, to_iso(now())))
    conn._identity = None
