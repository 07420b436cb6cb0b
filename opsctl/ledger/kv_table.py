"""The ledger's small key/value table: timestamps and ids worth remembering between runs."""

from __future__ import annotations

import sqlite3


def get(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
    return row["value"] if row is not None else None


def put(conn: sqlite3.Connection, key: str, value: str, *, at: str) -> None:
    conn.execute("INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE"
                 " SET value = excluded.value, updated_at = excluded.updated_at", (key, value, at))
