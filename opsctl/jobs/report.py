"""`opsctl jobs list|show|check`: what the runs say about each job.

A job is known from opsctl.yaml (`jobs:`) or from having run. For each: the
last runs, success rate (skipped runs left out), median duration and its trend,
and whether it is late for its cron `schedule` (no success since the latest
scheduled time whose grace has passed).
"""

from __future__ import annotations

from statistics import median

from .. import clock
from ..context import Context, ensure
from ..errors import NotFound
from ..ledger import runs_table
from .config import JobSettings, configured_jobs, load_rules
from .lock import check_job_name

WINDOW = 20  # runs the statistics look at


def list_jobs(*, ctx: Context | None = None) -> list[dict]:
    """Every job with its health; also checks the `jobs:` and `rules:` sections (exit 1 naming what is broken)."""
    ctx = ensure(ctx)
    configured = configured_jobs(ctx.config, ctx.settings.config_path)
    load_rules(ctx.config, ctx.settings.config_path)
    names = sorted(set(configured) | set(runs_table.job_names(ctx.conn)))
    return [_summary(ctx, configured.get(name) or JobSettings(name)) for name in names]


def show_job(name: str, *, limit: int = WINDOW, ctx: Context | None = None) -> dict:
    check_job_name(name)
    ctx = ensure(ctx)
    configured = configured_jobs(ctx.config, ctx.settings.config_path)
    runs = runs_table.recent(ctx.conn, name, limit=max(limit, WINDOW))
    if name not in configured and not runs:
        raise NotFound(f"no job {name!r}: not in opsctl.yaml jobs and never run; list them with `opsctl jobs list`")
    summary = _summary(ctx, configured.get(name) or JobSettings(name), runs)
    summary["runs"] = runs[:limit]
    return summary


def check_jobs(*, ctx: Context | None = None) -> dict:
    """Raise an error for every late job (the dead man's switch for cron); the next success resolves it."""
    from .incidents import brief, raise_error

    ctx = ensure(ctx)
    jobs, raised = list_jobs(ctx=ctx), []
    configured = configured_jobs(ctx.config, ctx.settings.config_path)
    for job in jobs:
        if not job["late"]:
            continue
        settings = configured[job["job"]]
        last = clock_text(job["last_success"]) if job["last_success"] else "never"
        details = (f"{job['job']} has not succeeded since its run due {clock_text(job['due'])} "
                   f"(schedule {settings.schedule!r}, grace {job['grace_seconds']:g}s); last success: {last}.")
        error = raise_error(ctx, "system_error", job["job"], details, settings.impact,
                            settings.options or ["Check that cron runs it (crontab -l, the cron log)",
                                                 f"Run it by hand: opsctl run {job['job']} -- …",
                                                 "Pause the schedule"],
                            source=f"run:{job['job']}", project=settings.project)
        raised.append(dict(brief(error), job=job["job"]))
    return {"jobs": jobs, "late": [j["job"] for j in jobs if j["late"]], "raised": raised}


def _summary(ctx: Context, job: JobSettings, runs: list[dict] | None = None) -> dict:
    runs = runs if runs is not None else runs_table.recent(ctx.conn, job.name, limit=WINDOW)
    window = runs[:WINDOW]
    done = [r for r in window if r["status"] != "SKIPPED"]
    durations = [r["duration_seconds"] for r in reversed(done) if r["duration_seconds"] is not None]
    last = runs[0] if runs else None
    summary = {
        "job": job.name, "schedule": job.schedule, "tz": job.tz if job.schedule else None,
        "grace_seconds": job.grace, "last_run": last["started_at"] if last else None,
        "last_status": last["status"] if last else None, "last_exit_code": last["exit_code"] if last else None,
        "runs_counted": len(done), "skipped": len(window) - len(done),
        "success_rate": round(sum(r["status"] == "SUCCESS" for r in done) / len(done), 3) if done else None,
        "median_duration_seconds": round(median(durations), 3) if durations else None,
        "durations": durations, "trend": trend(durations),
        "last_success": runs_table.last_success(ctx.conn, job.name),
        "late": False, "due": None, "overdue_seconds": 0.0, "next_expected": None,
        "open_error": _open_error(ctx, job),
    }
    if job.schedule:
        from .schedule import lateness

        from ..ledger.job_seen import first_seen

        last_ok = clock.parse_iso(summary["last_success"]) if summary["last_success"] else None
        at = clock.now()
        seen = clock.parse_iso(first_seen(ctx.conn, job.name, clock.to_iso(at)))
        state = lateness(job.schedule, last_ok, at, job.grace, job.tz, since=seen)
        summary.update(late=state.late, due=clock.to_iso(state.due), overdue_seconds=round(state.overdue_seconds, 1),
                       next_expected=clock.to_iso(state.next_expected))
    return summary


def trend(durations: list[float]) -> str | None:
    """Median of the newest half against the older half: 'up 35%', 'down 10%', 'steady'."""
    if len(durations) < 4:
        return None
    half = len(durations) // 2
    before, after = median(durations[:half]), median(durations[-half:])
    if before <= 0:
        return None
    change = (after - before) / before
    if abs(change) < 0.1 or abs(after - before) < 0.5:  # sub-second jitter is not a trend
        return "steady"
    return f"{'up' if change > 0 else 'down'} {abs(change):.0%}"


def _open_error(ctx: Context, job: JobSettings) -> str | None:
    from ..ids import format_id
    from .incidents import find_open

    row = find_open(ctx.conn, "system_error", job.name, job.project)
    return format_id("error", row["id"]) if row else None


def clock_text(iso: str | None) -> str:
    return (iso or "")[:16].replace("T", " ")

