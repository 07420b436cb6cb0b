"""`opsctl improvements show imp-4`: did the improvement work?

The errors an improvement targets (error ids, types or services, as logged with --targets) are
measured in two windows of the same length on either side of the improvement's `created_at`:
`after` runs from then until now (capped by --window), `before` is as long and ends then.
Frequency counts occurrences from the event log (reported, reported again, came back);
resolution time is the median of the resolutions in each window (recorded on their events).
"""

from __future__ import annotations

import json
from datetime import timedelta

from ..clock import now, parse_iso, to_iso
from ..context import Context, ensure
from ..durations import parse_duration
from ..errors import NotFound
from ..ids import format_id, parse_id
from ..ledger import improvements_table
from ..ledger import reports_queries as q
from .percentiles import nearest_rank

MIN_WINDOW = 86400.0  # less than a day after the improvement is too early to tell


def _split(targets: list[str]) -> tuple[list[int], list[str]]:
    """Targets as error numbers and as type or service names."""
    ids, names = [], []
    for target in targets:
        try:
            ids.append(parse_id("error", target))
        except Exception:  # noqa: BLE001 - not an id: a type or a service
            names.append(target.lower())
    return ids, names


def _window(conn, ids: list[int], names: list[str], start: str, end: str) -> dict:
    occurrences, errors, resolutions = q.targeted_window(conn, ids, names, start, end)
    resolution = nearest_rank(resolutions)
    return {"from": start, "to": end, "occurrences": occurrences, "errors": errors,
            "resolutions": resolution["count"], "median_resolution_seconds": resolution["median"]}


def verdict(before: dict, after: dict, window_seconds: float) -> tuple[str, str]:
    if window_seconds < MIN_WINDOW:
        return "too_early", "less than a day since the improvement: too early to tell"
    b, a = before["occurrences"], after["occurrences"]
    if b == 0 and a == 0:
        return "no_data", "the targeted errors did not occur before or after"
    if b == 0:
        return "did_not_work", f"the targeted errors started after it ({a} occurrences)"
    if a == 0:
        return "worked", f"no occurrences since (was {b})"
    change = (a - b) / b
    if change <= -0.5:
        return "worked", f"occurrences down {abs(change):.0%} ({b} → {a})"
    if change < 0:
        return "partly", f"occurrences down {abs(change):.0%} ({b} → {a})"
    return "did_not_work", f"occurrences {'unchanged' if change == 0 else f'up {change:.0%}'} ({b} → {a})"


def show_improvement(improvement_id, *, window: str | None = None, ctx: Context | None = None) -> dict:
    number = parse_id("improvement", improvement_id)
    ctx = ensure(ctx)
    row = improvements_table.get(ctx.conn, number)
    if row is None:
        raise NotFound(f"no improvement {format_id('improvement', number)}; list them with `opsctl improvements list`")
    public = improvements_table.to_public(row)
    created, at = parse_iso(row["created_at"]), now()
    seconds = max(0.0, (at - created).total_seconds())
    if window:
        seconds = min(seconds, parse_duration(window, "--window"))
    span = timedelta(seconds=seconds)
    targets = json.loads(row["targets"])
    ids, names = _split(targets)
    before = _window(ctx.conn, ids, names, to_iso(created - span), to_iso(created))
    after = _window(ctx.conn, ids, names, to_iso(created), to_iso(created + span))
    outcome, reason = verdict(before, after, seconds) if targets else ("no_targets", "logged without --targets")
    b, a = before["median_resolution_seconds"], after["median_resolution_seconds"]
    return dict(public, window_seconds=round(seconds, 3), before=before, after=after, verdict=outcome, reason=reason,
                resolution_change_seconds=None if a is None or b is None else round(a - b, 3))
