"""Quotas for the dashboard and /metrics: the newest reading per service and its forecast."""

from __future__ import annotations

from datetime import timedelta

from ..clock import now, to_iso
from ..ledger import quota_table
from ..quota.forecast import day, forecast

FORECAST_DAYS = 90


def quotas(conn) -> list[dict]:
    moment = now()
    since = to_iso(moment - timedelta(days=FORECAST_DAYS))
    found = []
    for row in quota_table.latest(conn):
        used, limit = row.get("used"), row.get("limit_value")
        ratio = float(used) / float(limit) if used is not None and limit else None
        outlook = forecast(quota_table.history(conn, row["service"], since)) if ratio is not None else None
        found.append({
            "service": row["service"], "used": used, "limit": limit, "used_ratio": ratio,
            "at": row["at"], "resets_at": row.get("resets_at"), "problem": row.get("problem"),
            "exhausted_at": to_iso(outlook.exhausted_at) if outlook else None,
            "forecast": outlook.text(moment) if outlook else None,
            "exhausted_day": day(outlook.exhausted_at, moment) if outlook else None,
        })
    return found
