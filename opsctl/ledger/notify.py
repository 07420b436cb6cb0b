"""How `opsctl wait` pauses between looks: LISTEN/NOTIFY on PostgreSQL, a sleep on SQLite."""

from __future__ import annotations

import time


def pauser(conn, key: str):
    """A function(seconds) that returns early when an event on `key` (e.g. "error-12") is committed."""
    if getattr(conn, "backend", "sqlite") != "postgresql":
        return time.sleep
    from .pg import NOTIFY_CHANNEL

    conn.raw.execute(f"LISTEN {NOTIFY_CHANNEL}")

    def pause(seconds: float) -> None:
        for note in conn.raw.notifies(timeout=seconds):
            if note.payload == key:
                return

    return pause
