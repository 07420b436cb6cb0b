"""`opsctl errors list|show`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .output import JsonFlag, console, emit_json, human, escape_markup, short_time, stream_json, styled_status, table


HELP = "Read the error ledger."


def list_errors(
    status: Annotated[Optional[str], typer.Option(help="open, escalated, acknowledged, resolved, false_positive, unresolved (the first three) or all; comma-separate several.")] = None,
    type: Annotated[Optional[str], typer.Option("--type", help="Only this error type.")] = None,
    service: Annotated[Optional[str], typer.Option(help="Only this service.")] = None,
    project: Annotated[Optional[str], typer.Option(help="Only this project.")] = None,
    impact: Annotated[Optional[str], typer.Option(help="Only this impact.")] = None,
    since: Annotated[Optional[str], typer.Option(help="Seen since: 24h, 7d or a date.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first (0: all).")] = 100,
    json_out: JsonFlag = False,
):
    """List errors, most recently seen first.

    Example: opsctl errors list --status unresolved --since 7d
    """
    from ..api.listing import iter_errors_json, list_errors as run

    filters = dict(status=status, type=type, service=service, project=project, since=since, impact_=impact)
    if json_out and not limit:  # everything: streamed row by row, never held in memory
        stream_json("errors", iter_errors_json(**filters))
        return
    result = run(**filters, limit=limit)
    errors, truncated = result["errors"], result["truncated"]
    if json_out:
        emit_json(result)
        return
    errors = escape_markup(errors)  # stored text is never Rich markup
    table("Errors", ["id", "status", "impact", "type", "service", "project", "seen", "last seen"],
          [[e["id"], styled_status(e["status"]), e["impact"], e["type"], e["service"], e["project"],
            e["occurrences"], short_time(e["last_seen"])] for e in errors], empty="no errors match")
    if truncated:
        console(stderr=not human()).print(f"[dim]showing the newest {limit}; use --limit 0 for all, or filter[/dim]")


def show_error(
    error_id: Annotated[str, typer.Argument(help="error-123 or 123.")],
    json_out: JsonFlag = False,
):
    """Show one error with its full history.

    Example: opsctl errors show error-12
    """
    from ..api.errors import show_error as run
    from ..durations import format_duration

    error = run(error_id)
    if json_out:
        emit_json(error)
        return
    error = escape_markup(error)  # stored text is never Rich markup
    out = console()
    out.print(f"[bold]{error['id']}[/bold] {styled_status(error['status'])}  {error['type']} · {error['service']}"
              + (f" · {error['project']}" if error["project"] else ""))
    fields = [("impact", f"{error['impact']} ({error['tier']})"), ("occurrences", error["occurrences"]),
              ("first seen", short_time(error["first_seen"])), ("last seen", short_time(error["last_seen"])),
              ("regressions", error["regressions"] or None), ("details", error["details"]),
              ("latest details", error.get("latest_details") if error.get("latest_details") != error["details"] else None),
              ("recommendation", error["recommendation"]), ("decision", error["decision"]),
              ("resolution time", format_duration(error["resolution_seconds"]) if error["resolution_seconds"] is not None else None),
              ("solution", error["solution"]), ("cause", error["cause"]), ("detection", error["detection"]),
              ("prevention", error["prevention"])]
    for label, value in fields:
        if value not in (None, ""):
            out.print(f"  [dim]{label}:[/dim] {value}", markup=True)
    for number, option in enumerate(error["options"], 1):
        out.print(f"  {number}. {option}")
    table("History", ["at", "action", "status", "by", "note"],
          [[short_time(h["at"]), h["action"], f"{h['from_status'] or ''}→{h['to_status']}" if h["to_status"] else "",
            h["actor"], h["note"]] for h in error["history"]])


# the group's subcommands, registered by opsctl/cli/registry.py
SUBCOMMANDS = {"list": list_errors, "show": show_error}
