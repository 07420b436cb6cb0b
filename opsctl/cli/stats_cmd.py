"""`opsctl stats` and `opsctl digest`: what the ledger says, as Rich tables and bars."""

from __future__ import annotations

from typing import Annotated

import typer

import sys

from .output import JsonFlag, console, deliveries_line, emit_json, escape_markup, human, short_time, table



def stats(
    since: Annotated[str, typer.Option(help="Incidents opened since: 30d, 7d, 24h or a date.")] = "30d",
    top: Annotated[int, typer.Option(help="How many most-common issues and oldest open errors to list.")] = 5,
    json_out: JsonFlag = False,
):
    """Error frequency, resolution and response times, tier deadlines, backlog, requests.

    Example: opsctl stats --since 7d
    """
    from ..reports.stats import stats as run

    report = run(since=since, top=top)
    if json_out:
        emit_json(report)
        return
    render(report)


def render(report: dict) -> None:
    from ..durations import format_duration
    from ..reports.charts import bar, bucket, sparkline

    report = escape_markup(report)  # services, types, projects are user text, never Rich markup
    out = console()
    totals = report["totals"]
    from ..reports.digest import plural

    series = bucket([(d["day"], d["incidents"]) for d in report["per_day"]])
    out.print(f"[bold]Since {short_time(report['since'])}[/bold]: {plural(totals['incidents'], 'incident')} of "
              f"{plural(totals['errors'], 'error')}, {plural(totals['occurrences'], 'occurrence')}, "
              f"{totals['still_open']} still open  [cyan]{sparkline(series)}[/cyan]")
    res, resp = report["resolution_seconds"], report["response_seconds"]
    out.print(f"resolution time: median {format_duration(res['median'])}, p90 {format_duration(res['p90'])} "
              f"({res['count']} resolved) · user response: median {format_duration(resp['median'])}, "
              f"p90 {format_duration(resp['p90'])} ({resp['count']} answered)")
    for key in ("type", "service", "project"):
        rows = report[f"by_{key}"]
        top = max([r["errors"] for r in rows] or [0])
        table(f"By {key}", [key, "errors", "occurrences", ""],
              [[r[key] or "—", r["errors"], r["occurrences"], f"[magenta]{bar(r['errors'], top)}[/magenta]"]
               for r in rows[:10]], empty=f"no errors since {short_time(report['since'])}")
    table("Tier deadlines (answered in time after the notice)", ["tier", "within", "met", "missed", "pending"],
          [[impact, format_duration(d["within_seconds"]), f"[green]{d['met']}[/green]", f"[red]{d['missed']}[/red]",
            d["pending"]] for impact, d in report["deadlines"].items()])
    from ..people.stats import show

    show(report, table)  # P0-P3 targets, false positives per rule
    table("Most common issues", ["type", "service", "project", "errors", "occurrences"],
          [[i["type"], i["service"], i["project"] or "—", i["errors"], i["occurrences"]] for i in report["most_common"]],
          empty="no issues")
    backlog = report["backlog"]
    out.print(f"[bold]Open backlog:[/bold] {backlog['open']} — "
              + ", ".join(f"{n} {s}" for s, n in backlog["by_status"].items()) + " · "
              + ", ".join(f"{n} {i}" for i, n in backlog["by_impact"].items()))
    table("Oldest open", ["id", "impact", "status", "type", "service", "opened"],
          [[e["id"], e["impact"], e["status"], e["type"], e["service"], short_time(e["opened_at"])]
           for e in backlog["oldest"]], empty="nothing open")
    extras = [f"regressions {totals['regressions']}", f"escalations {totals['escalations']}",
              f"flapping {report['flapping']}", f"postmortems pending {report['postmortems_pending']}",
              f"improvements {report['improvements']}"]
    extras += [f"auto-fix {status} {n}" for status, n in sorted(report["auto_fix"].items())]
    out.print(" · ".join(extras))
    requests = report["requests"]
    out.print("[bold]Requests:[/bold] " + (", ".join(f"{n} {s}" for s, n in sorted(requests.items())) or "none"))


def digest(
    period: Annotated[str, typer.Option(help="day or week.")] = "day",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print it without sending it.")] = False,
    json_out: JsonFlag = False,
):
    """Build the daily/weekly digest, print it and post it to the configured channels.

    Info-tier errors are never escalated; they reach people here. Run it from cron once a day.

    Example: 0 8 * * * opsctl digest --period day
    """
    from ..reports.digest import digest as run

    result = run(period, send=not dry_run)
    if json_out:
        emit_json(result)
        return
    if human():  # a person at a terminal: rendered; piped or redirected: the markdown itself
        from rich.markdown import Markdown

        console().print(Markdown(result["markdown"]))
    else:
        sys.stdout.write(result["markdown"])
    if not dry_run:
        typer.echo(deliveries_line(result["deliveries"]), err=True)
