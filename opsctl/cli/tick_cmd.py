"""`opsctl tick`: the one command for cron, every minute. Silent when nothing is due."""

from typing import Annotated

import typer

from .output import JsonFlag, deliveries_line, emit_json



def tick(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what is due without sending or changing anything.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many escalations/resurfaced requests per run.")] = 200,
    json_out: JsonFlag = False,
):
    """Drain the outbox, escalate unacknowledged errors, send reminders, bring back deferred requests.

    Safe to run from several crons at once; a late run sends one catch-up notice per error.
    Prints nothing when nothing was due (cron mails stay empty).

    Example: * * * * * opsctl tick
    """
    from ..escalation.tick import tick as run

    result = run(dry_run=dry_run, limit=limit)
    if json_out:
        emit_json(result)
        return
    verb = "would send" if dry_run else "sent"
    lines = []  # echoed at once: a tick may report thousands of notices, and each echo is a write
    for notice in result["notices"]:
        catch_up = " (catch-up)" if notice["catch_up"] else ""
        level = f" #{notice['level']}" if notice["kind"] == "escalation" else ""
        tail = "" if dry_run else f" — {deliveries_line(notice.get('deliveries') or [])}"
        lines.append(f"{notice['id']}: {verb} {notice['kind']}{level}{catch_up}{tail}")
    for request in result["resurfaced"]:
        lines.append(f"{request['id']} ({request['tool']}): {'would come' if dry_run else 'came'} back from deferred")
    if lines:
        typer.echo("\n".join(lines))
    delivered = result.get("delivered") or {}
    moved = {k: v for k, v in delivered.items() if isinstance(v, int) and v and k != "queued"}
    if moved:
        typer.echo("outbox: " + ", ".join(f"{count} {status}" for status, count in moved.items()))
