"""`opsctl decide`, `opsctl ack`, `opsctl wait`: the user's answer, and an agent blocking on it."""

import sys
from typing import Annotated, Optional

import typer

from .output import JsonFlag, deliveries_line, emit_json



def decide(
    subject_id: Annotated[str, typer.Argument(help="error-12 (or 12), or req-7.")],
    choice: Annotated[str, typer.Argument(help="For an error: the option number (or its text). For a request: approve, reject, defer, integrate or reopen.")],
    note: Annotated[Optional[str], typer.Option(help="Why, or what to do next.")] = None,
    until: Annotated[Optional[str], typer.Option(help="With `req-N defer`: when it comes back (2026-12-01 or 7d).")] = None,
    json_out: JsonFlag = False,
):
    """Record the user's choice; this acknowledges the error and stops its escalation.

    Example: opsctl decide error-12 2 --note "upgrade today"   ·   opsctl decide req-7 defer --until 30d
    """
    from ..api.decisions import decide as run

    result = run(subject_id, choice, note=note, until=until)
    if json_out:
        emit_json(result)
        return
    if result["subject"] == "request":
        from .requests_cmd import say_decision

        say_decision(result)
    else:
        typer.echo(f"{result['id']}: option {result['decision']} ({result['option']}) recorded, "
                   f"{result['status']} — {deliveries_line(result['deliveries'])}")


def ack(
    error_id: Annotated[str, typer.Argument(help="error-12 or 12.")],
    note: Annotated[Optional[str], typer.Option(help="A note for the history.")] = None,
    json_out: JsonFlag = False,
):
    """Acknowledge an error ("I'm on it"): stops its escalation and reminders.

    Example: opsctl ack error-12
    """
    from ..api.decisions import acknowledge

    result = acknowledge(error_id, note=note)
    if json_out:
        emit_json(result)
        return
    if not result["changed"]:
        typer.echo(f"{result['id']} was already acknowledged")
    else:
        typer.echo(f"{result['id']} acknowledged — {deliveries_line(result['deliveries'])}")


def wait(
    subject_id: Annotated[str, typer.Argument(help="error-12 (or 12), or req-7.")],
    timeout: Annotated[str, typer.Option(help="Give up after this long: 90s, 10m, 1h; 0 checks once.")] = "10m",
    interval: Annotated[str, typer.Option(help="How often to look at the ledger.")] = "2s",
    for_: Annotated[str, typer.Option("--for", help="answer (decided, acknowledged or resolved), decision (decided or resolved) or resolution.")] = "answer",
    json_out: JsonFlag = False,
):
    """Block until the user answers; exit 0 when answered, 3 when the timeout passed first.

    --json prints {outcome: decided|acknowledged|resolved|false_positive|timed_out, decision, option, ...}.

    Example: opsctl wait error-12 --timeout 10m --json
    """
    from ..api.decisions import wait_for
    from ..durations import parse_duration
    from ..errors import ExitCode

    limit = parse_duration(timeout, "--timeout")
    every = parse_duration(interval, "--interval")
    result = wait_for(subject_id, timeout=0, interval=every, wait_for=for_)  # exists? answered already?
    if not result["answered"] and limit:
        print(f"waiting for an answer on {result['id']} (timeout {timeout})…", file=sys.stderr)
        result = wait_for(subject_id, timeout=limit, interval=every, wait_for=for_)
    if json_out:
        emit_json(result)
    elif not result["answered"]:
        typer.echo(f"{result['id']}: no answer after {timeout}", err=True)
    elif result["outcome"] == "decided":
        typer.echo(f"{result['id']}: decided option {result['decision']} ({result['option']})"
                   + (f" — {result['note']}" if result.get("note") else ""))
    else:
        typer.echo(f"{result['id']}: {result['outcome']}")
    if not result["answered"]:
        raise typer.Exit(int(ExitCode.WAIT_TIMEOUT))
