"""/api/metrics/errors, /api/metrics/jobs, /api/metrics/system: JSON statistics from the ledger."""

from __future__ import annotations

import json
import os
import platform
from datetime import timedelta

from .. import __version__
from ..clock import now, to_iso
from ..ledger import metrics_queries as q
from ..vocab import TIERS


def errors_report(ctx, app=None) -> dict:
    conn = ctx.conn
    moment = now()
    open_counts = q.open_by_impact(conn)
    buckets, count, total = q.resolution_histogram(conn)
    return {
        "timestamp": to_iso(moment),
        "open": sum(open_counts.values()),
        "open_by_impact": {impact: open_counts.get(impact, 0) for impact in TIERS},
        "last_hour": q.since_count(conn, to_iso(moment - timedelta(hours=1))),
        "last_24h": q.since_count(conn, to_iso(moment - timedelta(days=1))),
        "total_by_type": q.totals_by_type(conn),
        "resolved_last_24h": q.resolved_since(conn, to_iso(moment - timedelta(days=1))),
        "resolution": {"count": count, "mean_seconds": round(total / count, 1) if count else None,
                       "buckets": [{"le": le, "count": n} for le, n in buckets]},
    }


def jobs_report(ctx, app=None) -> dict:
    conn = ctx.conn
    runs: dict[str, dict[str, int]] = {}
    for row in q.runs_by_job_status(conn):
        runs.setdefault(row["job"], {})[row["status"]] = row["n"]
    jobs = []
    for latest in q.job_latest(conn):
        counts = runs.get(latest["job"], {})
        done = sum(n for status, n in counts.items() if status != "SKIPPED")
        jobs.append({
            "job": latest["job"], "last_status": latest["status"], "last_run_at": latest["started_at"],
            "last_duration_seconds": latest["duration_seconds"], "last_success_at": latest["last_success_at"],
            "runs": counts, "success_rate": round(counts.get("SUCCESS", 0) / done, 3) if done else None,
            "metrics": latest_metrics(conn, latest["job"]),
        })
    moment = now()
    return {"timestamp": to_iso(moment), "jobs": jobs,
            "runs_last_24h": q.runs_since(conn, to_iso(moment - timedelta(days=1)))}


def system_report(ctx, app=None) -> dict:
    from .quotas import quotas

    conn = ctx.conn
    report = {
        "timestamp": to_iso(now()), "version": __version__, "python": platform.python_version(),
        "pid": os.getpid(), "ledger": {"backend": conn.backend,
                                       "size_bytes": _size(ctx.settings.db_path) if conn.backend == "sqlite" else None},
        "outbox": q.outbox_by_channel(conn), "probes": q.probes(conn), "quotas": quotas(conn),
    }
    if app is not None:
        report["uptime_seconds"] = round(app.uptime_seconds(), 3)
    return report


def numeric_metrics(raw: str | None) -> dict[str, float]:
    """The numbers a job reported in its run (booleans and text left out)."""
    try:
        metrics = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    if not isinstance(metrics, dict):
        return {}
    return {str(k): float(v) for k, v in metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v}


def latest_metrics(conn, job: str, runs: int = 30) -> dict[str, float]:
    """Each metric's newest value among the job's recent runs (a failed run often reports none)."""
    found: dict[str, float] = {}
    for run in q.job_history(conn, job, runs):
        found.update(numeric_metrics(run["metrics"]))
    return found


def _size(path) -> int | None:
    try:
        return sum(os.path.getsize(str(path) + suffix) for suffix in ("", "-wal") if os.path.exists(str(path) + suffix))
    except OSError:
        return None


REPORTS = {"errors": errors_report, "jobs": jobs_report, "system": system_report}
