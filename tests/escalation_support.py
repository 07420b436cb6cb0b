"""Shared helpers for the escalation / decisions / stats / postmortem tests (issue 4)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from opsctl import clock

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def at(**delta) -> datetime:
    """T0 plus a delta, e.g. at(minutes=5)."""
    return T0 + timedelta(**delta)


def move(**delta) -> datetime:
    moment = at(**delta)
    clock.set_now(moment)
    return moment


class Announced(list):
    """Every call to opsctl.delivery.enqueue (the outbox rows a change writes), in order."""

    def purposes(self, subject_id=None):
        return [c["purpose"] for c in self if subject_id is None or c["subject_id"] == subject_id]

    def of(self, purpose):
        return [c for c in self if c["purpose"] == purpose]


@pytest.fixture
def announced(monkeypatch) -> Announced:
    import opsctl.delivery

    calls = Announced()

    def fake(ctx, notification, *, subject, subject_id, event_id, purpose, channels=None, row=None, record=None,
             batch=None):
        calls.append({"notification": notification, "subject": subject, "subject_id": subject_id,
                      "event_id": event_id, "purpose": purpose, "channels": channels})
        return [{"id": None, "channel": "fake", "status": "sent"}]

    monkeypatch.setattr(opsctl.delivery, "enqueue", fake)
    return calls


@pytest.fixture
def frozen():
    clock.set_now(T0)
    yield T0
    clock.set_now(None)


def write_config(text: str, tmp_path=None) -> None:
    from pathlib import Path

    Path("opsctl.yaml").write_text(text, encoding="utf-8")  # tests run in their own tmp cwd


def events(action: str, subject_id: int | None = None) -> list:
    from opsctl.context import Context

    conn = Context().conn
    sql, params = "SELECT * FROM events WHERE action = ?", [action]
    if subject_id is not None:
        sql += " AND subject_id = ?"
        params.append(subject_id)
    return conn.execute(sql + " ORDER BY id", params).fetchall()


def row(error_number: int):
    from opsctl.context import Context

    return Context().conn.execute("SELECT * FROM errors WHERE id = ?", (error_number,)).fetchone()


def blocking(service: str = "Scraper API", impact: str = "blocking", **kw) -> dict:
    from opsctl import notify_error

    return notify_error("api_limit", service, "1000/1000 requests", impact, ["New API key", "Upgrade account"], **kw)
