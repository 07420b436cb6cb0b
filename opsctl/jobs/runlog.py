"""The run log: one JSON line per `opsctl run`, as the runbook specifies.

Each line is a single O_APPEND write, so concurrent runs never interleave.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from opsctl import clock
from opsctl.errors import invalid_choice

TYPE_CHECKING = False  # typing costs start-up that `opsctl run` cannot spare; annotations are strings here
if TYPE_CHECKING:
    from typing import Any, Mapping

STATUSES = ("SUCCESS", "ERROR", "TIMEOUT", "SKIPPED")
CORE = ("timestamp", "job_name", "status", "duration_seconds", "exit_code")


def entry(
    job_name: str,
    status: str,
    duration_seconds: float,
    exit_code: int,
    metrics: Mapping[str, Any] | None = None,
    timestamp: datetime | None = None,
) -> dict:
    """Core fields first, then metrics at top level; a metric named like a core field becomes metric_<name>."""
    if status not in STATUSES:
        raise invalid_choice("run status", status, STATUSES)
    record = {
        "timestamp": clock.to_iso(timestamp or clock.now()),
        "job_name": job_name,
        "status": status,
        "duration_seconds": duration_seconds,
        "exit_code": exit_code,
    }
    for key, value in (metrics or {}).items():
        record[f"metric_{key}" if key in CORE else key] = value
    return record


def from_result(result) -> dict:
    """Entry for a supervise.RunResult; timestamp is when the run finished."""
    return entry(result.job, result.status, result.duration_seconds, result.exit_code,
                 result.metrics, result.finished_at)


def append(path: str | Path, record: Mapping[str, Any]) -> None:
    record = dict(record)
    text = {k: v for k, v in record.items() if isinstance(v, (str, dict, list, tuple))}
    if any(k not in ("timestamp", "status", "job_name") for k in text):  # opsctl's own (the name is checked)
        from opsctl.scrub import scrub_obj

        record.update(scrub_obj(text))
    line = json.dumps(record, default=str, ensure_ascii=False) + "\n"
    Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def read(path: str | Path) -> list[dict]:
    """All entries, oldest first; lines that are not JSON objects are skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    entries = []
    for line in text.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            entries.append(value)
    return entries
