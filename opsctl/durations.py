"""Human durations: `15min`, `2h`, `1h30m`, `90s`, `30d`, `1w`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from .errors import InvalidInput, clip

_UNITS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
VALID = "e.g. 90s, 15min, 2h, 1h30m, 3d, 1w"
MAX_SECONDS = 100 * 365 * 86400  # a century: anything longer is a typo (and overflows dates)


def parse_duration(text: str, what: str = "duration") -> float:
    """Seconds in `text`; InvalidInput naming the valid forms otherwise."""
    raw = (text or "").strip().lower()
    if len(raw) > 80:
        raise InvalidInput(f"invalid {what} {clip(text)}; use a number with a unit, {VALID}")
    if re.fullmatch(r"\d+(?:\.\d+)?", raw):
        return _bounded(float(raw), text, what)
    position, total = 0, 0.0
    for match in _PART.finditer(raw):
        gap = raw[position:match.start()].strip()
        if gap or match.group(2) not in _UNITS:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    else:
        if raw and position == len(raw):
            return _bounded(total, text, what)
    raise InvalidInput(f"invalid {what} {clip(text)}; use a number with a unit, {VALID}")


def _bounded(seconds: float, text: str, what: str) -> float:
    if not seconds <= MAX_SECONDS:  # also catches inf and nan
        raise InvalidInput(f"invalid {what} {clip(text)}: longer than 100 years; {VALID}")
    return seconds


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if not abs(seconds) <= MAX_SECONDS * 10:  # inf/nan stored by an older opsctl
        return "∞" if seconds == seconds else "—"
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
        seconds = parse_duration(text, "since")
    except InvalidInput:
        pass
    else:
        try:
            return now - timedelta(seconds=seconds)
        except OverflowError:
            raise InvalidInput(f"invalid --since {clip(text)}: reaches before year 1") from None
    from .clock import parse_iso

    try:
        return parse_iso(text)
    except ValueError:
        raise InvalidInput(f"invalid --since {clip(text)}; use a look-back like 7d, 24h or a date like 2026-11-01") from None
