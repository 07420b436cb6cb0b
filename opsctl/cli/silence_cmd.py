"""`opsctl silence add|list|remove`: maintenance windows (recorded, counted, not announced)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .output import JsonFlag, emit_json, short_time, table

HELP = "Hold notifications for a service during maintenance (errors are still recorded)."


def add(
    service: Annotated[str, typer.Option(help="The service to silence, as errors name it.")],
    for_: Annotated[str, typer.Option("--for", help="How long: 30m, 2h, 1d.")],
    reason: Annotated[str, typer.Option(help="Why (shown in the history and the summary).")],
    type_: Annotated[Optional[str], typer.Option("--type", help="Only this error type (api_limit, auth_failure, ...).")] = None,
    project: Annotated[Optional[str], typer.Option(help="Only this project.")] = None,
    json_out: JsonFlag = False,
):
    """Start a silence: matching errors are recorded and counted, not announced, until it ends.

    When it ends with matching errors still open, `opsctl tick` sends one summary.

    Example: opsctl silence add --service "Scraper API" --for 2h --reason "provider maintenance"
    """
    from ..silences import add_silence

    result = add_silence(service, duration=for_, reason=reason, type=type_, project=project)
    if json_out:
        emit_json(result)
        return
    typer.echo(f"{result['id']}: {result['service']} silenced until {short_time(result['ends_at'])} UTC")


def list_(
    all_: Annotated[bool, typer.Option("--all", help="Include silences that have ended.")] = False,
    json_out: JsonFlag = False,
):
    """List silences in force (with --all, the ended ones too).

    Example: opsctl silence list --json
    """
    from ..silences import list_silences

    rows = list_silences(include_ended=all_)
    if json_out:
        emit_json({"silences": rows, "count": len(rows)})
        return
    table("Silences", ["id", "service", "type", "project", "until", "held", "reason"],
          [[r["id"], r["service"], r["type"], r["project"], short_time(r["ends_at"]), r["held"], r["reason"]]
           for r in rows], empty="no silence in force")


def remove(
    silence_id: Annotated[str, typer.Argument(help="sil-3 or 3.")],
    json_out: JsonFlag = False,
):
    """End a silence now (its summary follows at the next `opsctl tick`).

    Example: opsctl silence remove sil-3
    """
    from ..silences import remove_silence

    result = remove_silence(silence_id)
    if json_out:
        emit_json(result)
        return
    typer.echo(f"{result['id']} ended")


SUBCOMMANDS = {"add": add, "list": list_, "remove": remove}
