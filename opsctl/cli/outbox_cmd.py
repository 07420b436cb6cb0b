"""`opsctl deliver` and `opsctl outbox list|retry`: the durable outbox from the command line."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .output import JsonFlag, emit_json, short_time, table


HELP = "Deliveries waiting, sent or dead."


def deliver(
    limit: Annotated[Optional[int], typer.Option(help="At most this many deliveries.")] = None,
    json_out: JsonFlag = False,
):
    """Send every delivery that is due (retries, quiet-hour holds, claims left by a killed process).

    Safe to run from several crons at once: each delivery is claimed by one process.
    Prints a line only for a delivery that changed state (sent, or dead after its last attempt);
    a retry that fails again stays quiet, so cron mails nothing while a channel is down.

    Example: * * * * * opsctl deliver
    """
    from ..api.outbox import deliver as run

    result = run(limit=limit)
    if json_out:
        emit_json(result)
        return
    for entry in result["deliveries"]:
        if entry["status"] not in ("sent", "failed", "dead"):
            continue
        error = f" ({entry['error']})" if entry.get("error") and entry["status"] != "sent" else ""
        typer.echo(f"dlv-{entry['id']} {entry['channel']}: {entry['status']}{error}")


def list_outbox(
    status: Annotated[Optional[str], typer.Option(help="queued, sending, sent, dead or pending (queued+sending); comma-separate several.")] = None,
    channel: Annotated[Optional[str], typer.Option(help="Only this channel.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    json_out: JsonFlag = False,
):
    """List deliveries, newest first, with attempts, next attempt and the last error.

    Example: opsctl outbox list --status dead
    """
    from ..api.outbox import list_deliveries

    rows = list_deliveries(status=status, channel=channel, limit=limit)
    if json_out:
        emit_json({"deliveries": rows, "count": len(rows)})
        return
    table("Outbox", ["id", "status", "channel", "about", "purpose", "tries", "next / sent", "last error"],
          [[r["id"], r["status"], r["channel"], r["about"], r["purpose"], r["attempts"],
            short_time(r["sent_at"] or r["next_attempt_at"]), r["last_error"]] for r in rows],
          empty=f"no {status} deliveries" if status else "the outbox is empty")


def retry(
    ids: Annotated[Optional[list[str]], typer.Argument(help="Deliveries to retry: dlv-12 or 12.")] = None,
    dead: Annotated[bool, typer.Option("--dead", help="Retry every dead delivery.")] = False,
    json_out: JsonFlag = False,
):
    """Give dead (or waiting) deliveries a fresh set of attempts, due now; `opsctl deliver` sends them.

    Example: opsctl outbox retry --dead && opsctl deliver
    """
    from ..api.outbox import requeue

    result = requeue(ids, dead=dead)
    if json_out:
        emit_json(result)
        return
    typer.echo(f"{result['requeued']} deliver{'y' if result['requeued'] == 1 else 'ies'} queued again; "
               "`opsctl deliver` sends them")


# the group's subcommands, registered by opsctl/cli/registry.py
SUBCOMMANDS = {"list": list_outbox, "retry": retry}
