"""The one source of "now" for opsctl.

Everything that compares times asks `now()`, so tests can move time without
sleeping: in-process with `freeze(...)`, across processes with `OPSCTL_NOW`
(an ISO-8601 timestamp, used only by tests and benchmarks).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import datetime, timezone

_frozen: datetime | None = None


def now() -> datetime:
    if _frozen is not None:
        return _frozen
    forced = os.environ.get("OPSCTL_NOW")
    if forced:
        return parse_iso(forced)
    return datetime.now(timezone.utc)


def now_iso() -> str:
    return to_iso(now())


def to_iso(moment: datetime) -> str:
    """UTC, second precision plus microseconds, sortable as text."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


@contextmanager
def freeze(moment: datetime | str):
    """Pin `now()` inside the block (tests)."""
    global _frozen
    previous = _frozen
    _frozen = parse_iso(moment) if isinstance(moment, str) else moment
    try:
        yield
    finally:
        _frozen = previous


def set_now(moment: datetime | str | None) -> None:
    """Move a frozen clock (tests); None unfreezes."""
    global _frozen
    _frozen = parse_iso(moment) if isinstance(moment, str) else moment
