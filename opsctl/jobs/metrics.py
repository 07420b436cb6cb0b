"""Job metrics: a final stdout line holding a JSON object, and/or a JSON object
written to the file named by $OPSCTL_METRICS."""

from __future__ import annotations

import json
from pathlib import Path


ENV = "OPSCTL_METRICS"


def from_line(line: bytes | str) -> dict:
    """The object on the job's last stdout line; {} if that line is not a JSON object."""
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    text = text.strip()
    if not text.startswith("{"):
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    from opsctl.scrub import scrub_obj

    return scrub_obj(value)


def from_file(path: str | Path) -> tuple[dict, str | None]:
    """(metrics, problem): an empty or missing file is no metrics, not a problem."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace").strip()
    except FileNotFoundError:
        return {}, None
    if not text:
        return {}, None
    try:
        value = json.loads(text)
    except ValueError as exc:
        return {}, f"${ENV} file is not valid JSON: {exc}"
    if not isinstance(value, dict):
        return {}, f"${ENV} file does not hold a JSON object"
    from opsctl.scrub import scrub_obj

    return scrub_obj(value), None
