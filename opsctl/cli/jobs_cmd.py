"""`opsctl jobs list|show|check`: the runs of `opsctl run`, per job."""

from __future__ import annotations

from typing import Annotated

import typer

from .output import JsonFlag, console, emit_json, escape_markup, short_time, table

_STATUS = {"SUCCESS": "green", "ERROR": "red", "TIMEOUT": "bold red", "SKIPPED": "yellow"}
_BARS = "▁▂▃▄▅▆▇█"


HELP = "Jobs run with `opsctl run`: last runs, success rate, duration trend, lateness."


def list_jobs(json_out: JsonFlag = False):
    """List jobs (from opsctl.yaml and from their runs) with their health.

    Example: opsctl jobs list
    """
    from ..jobs.report import list_jobs as run

    jobs = run()
    if json_out:
        emit_json({"jobs": jobs, "count": len(jobs)})
        return
    jobs = escape_markup(jobs)
    table("Jobs", ["job", "last run", "status", "success", "median", "trend", "schedule", "late"],
          [_row(job) for job in jobs], empty="no jobs yet: run one with `opsctl run NAME -- COMMAND`")


def show_job(
    name: Annotated[str, typer.Argument(help="The job's name.")],
    limit: Annotated[int, typer.Option(help="How many recent runs to show.")] = 20,
    json_out: JsonFlag = False,
):
    """Show one job: its health and its recent runs.

    Example: opsctl jobs show nightly
    """
    from ..jobs.report import show_job as run

    job = run(name, limit=limit)
    if json_out:
        emit_json(job)
        return
    job = escape_markup(job)
    out = console()
    out.print(f"[bold]{job['job']}[/bold]  {_late(job)}")
    facts = [("schedule", f"{job['schedule']} ({job['tz']})" if job["schedule"] else None),
             ("next expected", short_time(job["next_expected"]) or None),
             ("last success", short_time(job["last_success"]) or "never"),
             ("success rate", _rate(job)), ("median duration", _seconds(job["median_duration_seconds"])),
             ("durations", f"{sparkline(job['durations'])}  {job['trend'] or ''}" if job["durations"] else None),
             ("open error", job["open_error"])]
    for label, value in facts:
        if value not in (None, ""):
            out.print(f"  [dim]{label}:[/dim] {value}")
    table("Runs", ["#", "started", "status", "exit", "duration", "message", "error"],
          [[r["id"], short_time(r["started_at"]), _status(r["status"]), r["exit_code"],
            _seconds(r["duration_seconds"]), r["message"], r["error_id"]] for r in job["runs"]], empty="no runs yet")


def check_jobs(json_out: JsonFlag = False):
    """Raise an error for every job that is late for its schedule (run it from cron, e.g. hourly).

    The next successful run of the job resolves the error.

    Example: opsctl jobs check
    """
    from ..jobs.report import check_jobs as run

    result = run()
    if json_out:
        emit_json(result)
        return
    from .check_output import show_raised

    for error in result["raised"]:
        typer.echo(f"{error['job']} is late: {error['id']} {error['status']}", err=True)
    show_raised(result["raised"])


def _row(job: dict) -> list:
    return [job["job"], short_time(job["last_run"]), _status(job["last_status"]) if job["last_status"] else "",
            _rate(job), _seconds(job["median_duration_seconds"]),
            f"{sparkline(job['durations'][-10:])} {job['trend'] or ''}".strip(), job["schedule"] or "", _late(job)]


def _late(job: dict) -> str:
    if not job["schedule"]:
        return ""
    if job["late"]:
        return f"[bold red]late[/bold red] (due {short_time(job['due'])})"
    return "[green]on time[/green]"


def _rate(job: dict) -> str:
    if job["success_rate"] is None:
        return ""
    skipped = f", {job['skipped']} skipped" if job["skipped"] else ""
    return f"{job['success_rate']:.0%} of {job['runs_counted']}{skipped}"


def _status(status: str) -> str:
    style = _STATUS.get(status, "")
    return f"[{style}]{status}[/{style}]" if style else status


def _seconds(value) -> str:
    if value is None:
        return ""
    from ..durations import format_duration

    return f"{value:.2f}s" if value < 10 else format_duration(value)


def sparkline(values: list[float]) -> str:
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return "".join(_BARS[min(len(_BARS) - 1, int((v - low) / span * (len(_BARS) - 1)))] for v in values)


# the group's subcommands, registered by opsctl/cli/registry.py
SUBCOMMANDS = {"list": list_jobs, "show": show_job, "check": check_jobs}
