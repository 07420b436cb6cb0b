"""Deferred integration requests come back (to `pending`) on their `--until` date."""

from __future__ import annotations

import sqlite3

from ..ledger import requests_table
from ..ledger.events import add_event


def claim(ctx, row, at: str) -> int | None:
    """Inside tick's transaction: move the request back to pending; its event id, or None if lost."""
    try:
        claimed = requests_table.resurface(ctx.conn, row["id"], until=row["until"], at=at)
    except sqlite3.IntegrityError:  # the same tool was asked for again meanwhile: that one stays pending
        if requests_table.drop_until(ctx.conn, row["id"], until=row["until"], at=at):
            add_event(ctx.conn, "request", row["id"], "resurface_skipped", at=at, actor="opsctl tick",
                      note="another request for the same tool is already pending")
        return None
    if not claimed:
        return None
    return add_event(ctx.conn, "request", row["id"], "resurfaced", at=at, actor="opsctl tick",
                     from_status="deferred", to_status="pending", data={"until": row["until"]})
