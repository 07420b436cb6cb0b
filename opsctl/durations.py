"""Human durations: `15min`, `2h`, `1h30m`, `90s`, `30d`, `1w`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from .errors import InvalidInput

_UNITS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
VALID = "e.g. 90s, 15min, 2h, 1h30m, 3d, 1w"


def parse_duration(text: str, what: str = "duration") -> float:
    """Seconds in `text`; InvalidInput naming the valid forms otherwise."""
    raw = (text or "").strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", raw):
        return float(raw)
    position, total = 0, 0.0
    for match in _PART.finditer(raw):
        gap = raw[position:match.start()].strip()
        if gap or match.group(2) not in _UNITS:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    else:
        if raw and position == len(raw):
            return total
    raise InvalidInput(f"invalid {what} {text!r}; use a number with a unit, {VALID}")


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    if seconds and len(parts) < 2:
        parts.append(f"{seconds}s")
    return "".join(parts[:2])


def parse_since(text: str, now: datetime) -> datetime:
    """`30d`-style look-back or an ISO date/timestamp."""
    try:
        return now - timedelta(seconds=parse_duration(text, "since"))
    except InvalidInput:
        pass
    from .clock import parse_iso

    try:
        return parse_iso(text)
    except ValueError:
        raise InvalidInput(f"invalid --since {text!r}; use a look-back like 7d, 24h or a date like 2026-11-01") from None
