"""`opsctl snooze ID 1h`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .output import JsonFlag, emit_json, short_time


def snooze(
    error_id: Annotated[str, typer.Argument(help="error-12 or 12.")],
    duration: Annotated[str, typer.Argument(help="How long: 30m, 1h, 1d.")],
    note: Annotated[Optional[str], typer.Option(help="A note for the history.")] = None,
    json_out: JsonFlag = False,
):
    """Hold an error's escalations and reminders for a while; they resume when the snooze ends.

    Example: opsctl snooze error-12 1h
    """
    from ..api.snooze import snooze as run

    result = run(error_id, duration, note=note)
    if json_out:
        emit_json(result)
        return
    typer.echo(f"{result['id']} snoozed until {short_time(result['snoozed_until'])} UTC")
