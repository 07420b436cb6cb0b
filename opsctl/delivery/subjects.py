"""Ledger records as deliveries carry them: a snapshot taken when the delivery is queued."""

from __future__ import annotations

import sqlite3


def snapshot(conn: sqlite3.Connection, subject: str, subject_id: int | None, *, row=None) -> dict | None:
    """The record's public JSON (what `errors show --json` prints, without history); `row`: its current row."""
    if subject_id is None:
        return None
    if subject == "error":
        from ..ledger import errors_table as table
    elif subject == "request":
        from ..ledger import requests_table as table
    elif subject == "improvement":
        from ..ledger import improvements_table as table
    else:
        return None
    row = row if row is not None else table.get(conn, subject_id)
    return None if row is None else table.to_public(row)

