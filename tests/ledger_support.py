"""Reading the ledger in tests the same way on both backends."""

from __future__ import annotations

import os
from pathlib import Path

from opsctl.ledger import admin, connect
from opsctl.ledger.url import is_postgres


def query(sql: str, params=()) -> list[dict]:
    """Run SQL on the ledger the test uses (OPSCTL_DB or OPSCTL_HOME/ledger.db)."""
    from opsctl.settings import Settings

    conn = connect(Settings.load())
    try:
        return [dict(row) for row in conn.execute(sql, params).fetchall()]
    finally:
        conn.close()


def stored_bytes(home: Path) -> bytes:
    """Everything the ledger holds: its files on SQLite, every row's text on PostgreSQL."""
    url = os.environ.get("OPSCTL_DB")
    if is_postgres(url):
        conn = connect(url)
        return "\n".join(repr(tuple(row)) for name in admin.tables(conn)
                         for row in conn.execute(f'SELECT * FROM "{name}"').fetchall()).encode()
    return b"".join(f.read_bytes() for f in home.rglob("*") if f.is_file())
