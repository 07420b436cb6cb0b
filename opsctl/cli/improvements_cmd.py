"""`opsctl improvements list`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .output import JsonFlag, console, emit_json, escape_markup, short_time, table


HELP = "Improvements and whether they worked."


def list_improvements(
    category: Annotated[Optional[str], typer.Option(help="Only this category.")] = None,
    department: Annotated[Optional[str], typer.Option(help="Only this department.")] = None,
    limit: Annotated[Optional[int], typer.Option(help="At most this many.")] = None,
    json_out: JsonFlag = False,
):
    """List logged improvements, newest first.

    Example: opsctl improvements list --category automation
    """
    from ..api.listing import list_improvements as run

    result = run(category=category, department=department, limit=limit)
    items = result["improvements"]
    if json_out:
        emit_json(result)
        return
    items = escape_markup(items)
    table("Improvements", ["id", "category", "department", "improvement", "impact", "targets", "logged"],
          [[i["id"], i["category"], i["department"], i["improvement"], i["impact"], ", ".join(i["targets"]),
            short_time(i["created_at"])] for i in items], empty="no improvements logged")


def show_improvement(
    improvement_id: Annotated[str, typer.Argument(help="imp-4 or 4.")],
    window: Annotated[Optional[str], typer.Option(help="Compare at most this long on each side (default: all the time since).")] = None,
    json_out: JsonFlag = False,
):
    """Show an improvement and whether it worked: its targeted errors before vs after it.

    Example: opsctl improvements show imp-4 --window 30d
    """
    from ..durations import format_duration
    from ..reports.effectiveness import show_improvement as run

    item = run(improvement_id, window=window)
    if json_out:
        emit_json(item)
        return
    item = escape_markup(item)
    out = console()
    out.print(f"[bold]{item['id']}[/bold] {item['improvement']}  [dim]({item['category']}, "
              f"{item['department']}, {short_time(item['created_at'])})[/dim]")
    out.print(f"  targets: {', '.join(item['targets']) or '—'}")
    before, after = item["before"], item["after"]
    table(f"Before vs after ({format_duration(item['window_seconds'])} each side)",
          ["", "occurrences", "errors", "resolutions", "median resolution"],
          [[label, w["occurrences"], w["errors"], w["resolutions"], format_duration(w["median_resolution_seconds"])]
           for label, w in (("before", before), ("after", after))])
    style = {"worked": "green", "partly": "yellow", "did_not_work": "red"}.get(item["verdict"], "dim")
    out.print(f"[{style}]{item['verdict'].replace('_', ' ')}[/{style}]: {item['reason']}")


# the group's subcommands, registered by opsctl/cli/registry.py
SUBCOMMANDS = {"list": list_improvements, "show": show_improvement}
