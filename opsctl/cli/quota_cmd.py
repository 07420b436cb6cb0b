"""`opsctl quota check|record|list`: API usage against limits, before it blocks."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from .output import JsonFlag, console, emit_json, short_time, table

_LEVEL = {"ok": "green", "warning": "yellow", "blocking": "bold red", "failed": "red", "no data": "dim"}


HELP = "API quotas and credential expiry: check, record by hand, list."


def check(
    service: Annotated[Optional[list[str]], typer.Option("--service", help="Only this service (repeatable).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only what needs attention (for cron).")] = False,
    json_out: JsonFlag = False,
):
    """Check every integration with a usage source: warn at 80 %, block at 100 %, forecast exhaustion,
    warn of credentials expiring within 14 days. Each problem is an error in the ledger.

    Exit code 0 when the checks ran and were recorded (problems included: they are in the ledger).

    Example (weekly cron): opsctl quota check --quiet
    """
    from ..quota.check import check_quotas

    if json_out or quiet or not sys.stderr.isatty():
        result = check_quotas(services=service)
    else:
        result = _with_progress(check_quotas, service)
    if json_out:
        emit_json(result)
        return
    rows = [r for r in result["results"] if not quiet or r["status"] not in ("ok",)]
    if rows or not quiet:
        table("Quotas", ["service", "status", "usage", "forecast / problem", "error"], [_row(r) for r in rows],
              empty="nothing to check: add usage sources to integrations.md (see docs/checks.md)")
    from .check_output import show_raised

    show_raised([r["error"] for r in result["results"]])
    for problem in result["problems"]:
        where = f"line {problem['line']}: " if problem["line"] else ""
        console(stderr=True).print(f"[yellow]integrations.md[/yellow] {where}{problem['problem']}", highlight=False)


def record(
    service: Annotated[str, typer.Argument(help="The service, as named in integrations.md.")],
    used: Annotated[Optional[float], typer.Option(help="Units used so far in this period.")] = None,
    limit: Annotated[Optional[float], typer.Option(help="The period's limit.")] = None,
    remaining: Annotated[Optional[float], typer.Option(help="Units left (instead of --used or --limit).")] = None,
    resets_at: Annotated[Optional[str], typer.Option(help="When the quota resets, e.g. 2026-12-01.")] = None,
    json_out: JsonFlag = False,
):
    """Record usage read by hand (a dashboard, an invoice) and judge it at once.

    Example: opsctl quota record "Scraper API" --used 850 --limit 1000 --resets-at 2026-12-01
    """
    from ..quota.record import record_usage

    result = record_usage(service, used=used, limit=limit, remaining=remaining, resets_at=resets_at)
    if json_out:
        emit_json(result)
        return
    line = f"{result['service']}: {_usage(result)} — {result['status']}"
    if result["error"]:
        line += f" ({result['error']['id']} {result['error']['status']})"
    typer.echo(line)
    from .check_output import show_raised

    show_raised([result["error"]])
    if result.get("forecast_text"):
        typer.echo(f"  {result['forecast_text']}")


def list_quotas(json_out: JsonFlag = False):
    """The latest reading of each service and its forecast (reads the ledger, fetches nothing).

    Example: opsctl quota list
    """
    from ..quota.record import list_quotas as run

    result = run()
    if json_out:
        emit_json(result)
        return
    table("Quotas", ["service", "usage", "read at", "source", "forecast / problem"],
          [[q["service"], _usage(q) if q["percent"] is not None else "", short_time(q["at"]), q["source"],
            q["forecast_text"] or q["problem"] or ""] for q in result["quotas"]],
          empty="no readings yet: run `opsctl quota check` or `opsctl quota record`")


def _with_progress(run, services):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("checking quotas"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  console=console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=None)

        def advance(done: int, total: int, result: dict) -> None:
            bar.update(task, completed=done, total=total, description=result["service"])

        return run(services=services, progress=advance)


def _row(result: dict) -> list:
    style = _LEVEL.get(result["status"], "")
    status = f"[{style}]{result['status']}[/{style}]" if style else result["status"]
    if result["kind"] == "credential":
        usage = f"credential expires {short_time(result.get('expires'))[:10]}" if result.get("expires") else "credential"
        note = result["problem"] or (f"{result['days_left']:g} days left" if result.get("days_left") is not None else "")
    else:
        usage = _usage(result) if result.get("percent") is not None else ""
        note = result["problem"] or result.get("forecast_text") or ""
    return [result["service"], status, usage, note, (result["error"] or {}).get("id", "")]


def _usage(result: dict) -> str:
    def n(value):
        return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"

    return f"{n(result['used'])}/{n(result['limit'])} ({result['percent']:g}%)"


# the group's subcommands, registered by opsctl/cli/registry.py
SUBCOMMANDS = {"check": check, "record": record, "list": list_quotas}
