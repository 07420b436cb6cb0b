"""`opsctl quota record` (numbers read by hand) and `opsctl quota list` (the latest of each service)."""

from __future__ import annotations

from datetime import timedelta

from .. import clock
from ..context import Context, ensure
from ..errors import InvalidInput, clip
from ..ledger import quota_table
from .check import FORECAST_DAYS, Task, settle
from .forecast import forecast as predict
from .sources import CheckFailed, Reading, moment


MAX_READING = 1e15  # more requests than any plan counts: a typo (or nan/inf)


def record_usage(service: str, *, used: float | None = None, limit: float | None = None,
                 remaining: float | None = None, resets_at: str | None = None, ctx: Context | None = None) -> dict:
    """Record a reading and judge it at once: at 80 % it warns, at 100 % it blocks."""
    from ..api.inputs import text

    service = text("service", service)
    for name, value in (("--used", used), ("--limit", limit), ("--remaining", remaining)):
        if value is not None and not 0 <= value <= MAX_READING:  # also refuses nan, inf, 1e309
            raise InvalidInput(f"{name} must be a number from 0 to {MAX_READING:.0e}, not {value!r}")
    reset = None
    if resets_at:
        reset = moment(resets_at)
        if reset is None:
            raise InvalidInput(f"invalid --resets-at {clip(resets_at)}; use a date like 2026-12-01")
        if reset <= clock.to_iso(clock.now()):
            raise InvalidInput(f"--resets-at {clip(resets_at)} is in the past; give the next reset, e.g. "
                               f"{(clock.now() + timedelta(days=30)).date().isoformat()}")
    try:
        reading = Reading(used, limit, remaining, reset, "manual").complete()
    except CheckFailed:
        raise InvalidInput("give two of --used, --limit, --remaining (and a limit above 0)") from None
    ctx = ensure(ctx)
    task = _task(ctx, service)
    return settle(ctx, task, ctx.config.get("quota") or {}, reading=reading)


def list_quotas(*, ctx: Context | None = None) -> dict:
    """The newest reading or failed check per service, with its forecast (no fetching)."""
    ctx = ensure(ctx)
    since = clock.to_iso(clock.now() - timedelta(days=FORECAST_DAYS))
    found = []
    for row in quota_table.latest(ctx.conn):
        item = {"service": row["service"], "at": row["at"], "source": row["source"], "used": row["used"],
                "limit": row["limit_value"], "remaining": row["remaining"], "resets_at": row["resets_at"],
                "problem": row["problem"], "percent": None, "forecast": None, "forecast_text": None}
        if row["used"] is not None and row["limit_value"]:
            item["percent"] = round(row["used"] / row["limit_value"] * 100, 1)
            outlook = predict(quota_table.history(ctx.conn, row["service"], since), row["resets_at"])
            if outlook:
                item.update(forecast=outlook.public(), forecast_text=outlook.text(clock.now()))
        found.append(item)
    return {"quotas": found, "count": len(found)}


def _task(ctx: Context, service: str) -> Task:
    """The inventory's settings for the service (its name as written there, thresholds, backup)."""
    from ..inventory import load
    from ..inventory.review import stated

    row = load(ctx).find(service)
    if row is None:
        return Task(service, spec={"type": "manual"})
    return Task(row.service, spec={"type": "manual"}, settings=row.config, backup=stated(row.backup))
