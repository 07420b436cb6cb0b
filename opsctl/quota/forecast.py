"""When does a quota run out at the current rate? A least-squares line through the readings.

Only readings since the last reset count (usage dropping means the quota was
reset). The line's slope is the rate; the date is where it meets the limit,
counted from the newest reading. No forecast from fewer than two readings, or
when usage is flat or falling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..clock import parse_iso, to_iso


@dataclass
class Forecast:
    rate_per_day: float
    exhausted_at: datetime
    resets_at: datetime | None
    readings: int

    @property
    def before_reset(self) -> float | None:
        """Days between exhaustion and the reset (positive: runs out first)."""
        if self.resets_at is None:
            return None
        return (self.resets_at - self.exhausted_at).total_seconds() / 86400

    def text(self, now: datetime) -> str:
        """'at this rate the limit is reached on 3 Dec, 9 days before reset'."""
        when = day(self.exhausted_at, now)
        gap = self.before_reset
        if gap is None:
            return f"at this rate the limit is reached on {when}"
        if gap >= 1:
            return f"at this rate the limit is reached on {when}, {round(gap)} day{'s' if round(gap) != 1 else ''} before reset"
        if gap > 0:
            return f"at this rate the limit is reached on {when}, just before the reset"
        return f"at this rate the limit would be reached on {when}, after the reset on {day(self.resets_at, now)}"

    def public(self) -> dict:
        return {"rate_per_day": round(self.rate_per_day, 3), "exhausted_at": to_iso(self.exhausted_at),
                "resets_at": to_iso(self.resets_at) if self.resets_at else None,
                "days_before_reset": round(self.before_reset, 1) if self.before_reset is not None else None,
                "readings": self.readings}


def forecast(readings: list[dict], resets_at: str | None = None) -> Forecast | None:
    """readings: oldest first, each with used, limit_value and at."""
    current = _since_reset(readings)
    if len(current) < 2:
        return None
    start = parse_iso(current[0]["at"])
    xs = [(parse_iso(r["at"]) - start).total_seconds() / 86400 for r in current]
    ys = [float(r["used"]) for r in current]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread <= 0:
        return None
    rate = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    newest = current[-1]
    limit = float(newest["limit_value"] or 0)
    if rate <= 0 or not limit:
        return None
    left = max(0.0, limit - float(newest["used"]))
    exhausted = parse_iso(newest["at"]) + timedelta(days=left / rate)
    reset = resets_at or newest.get("resets_at")
    return Forecast(rate, exhausted, parse_iso(reset) if reset else None, len(current))


def _since_reset(readings: list[dict]) -> list[dict]:
    start = 0
    for i in range(1, len(readings)):
        if float(readings[i]["used"]) < float(readings[i - 1]["used"]):
            start = i
    return readings[start:]


def day(moment: datetime, now: datetime) -> str:
    """'3 Dec' (with the year when it is not this year's)."""
    text = f"{moment.day} {moment:%b}"
    return text if moment.year == now.year else f"{text} {moment.year}"
