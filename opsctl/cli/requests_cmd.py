"""`opsctl requests list|show|decide`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .output import JsonFlag, console, deliveries_line, emit_json, escape_markup, short_time, styled_status, table


HELP = "Integration requests and their decisions."


def list_requests(
    status: Annotated[Optional[str], typer.Option(help="pending, approved, rejected, deferred, integrated")] = None,
    limit: Annotated[Optional[int], typer.Option(help="At most this many.")] = None,
    json_out: JsonFlag = False,
):
    """List integration requests, newest first.

    Example: opsctl requests list --status pending
    """
    from ..api.listing import list_requests as run

    result = run(status=status, limit=limit)
    requests = result["requests"]
    if json_out:
        emit_json(result)
        return
    requests = escape_markup(requests)
    table("Integration requests", ["id", "status", "urgency", "tool", "purpose", "asks", "created"],
          [[r["id"], styled_status(r["status"]), r["urgency"], r["tool"], r["purpose"], r["asks"],
            short_time(r["created_at"])] for r in requests], empty="no requests")


def show_request(
    request_id: Annotated[str, typer.Argument(help="req-7 or 7.")],
    json_out: JsonFlag = False,
):
    """Show one request with its history.

    Example: opsctl requests show req-7
    """
    from ..api.requests import show_request as run

    request = run(request_id)
    if json_out:
        emit_json(request)
        return
    request = escape_markup(request)
    out = console()
    out.print(f"[bold]{request['id']}[/bold] {styled_status(request['status'])}  {request['tool']}")
    for label in ("purpose", "alternatives", "urgency", "cost", "asks", "note", "until"):
        if request.get(label) not in (None, ""):
            out.print(f"  [dim]{label}:[/dim] {request[label]}")
    table("History", ["at", "action", "status", "by", "note"],
          [[short_time(h["at"]), h["action"], h["to_status"], h["actor"], h["note"]] for h in request["history"]])


def decide(
    request_id: Annotated[str, typer.Argument(help="req-7 or 7.")],
    decision: Annotated[str, typer.Argument(help="approve, reject, defer, integrate or reopen.")],
    until: Annotated[Optional[str], typer.Option(help="With defer: when to bring it back (2026-12-01 or 7d).")] = None,
    note: Annotated[Optional[str], typer.Option(help="Why.")] = None,
    json_out: JsonFlag = False,
):
    """Decide on a request.

    Example: opsctl requests decide req-7 defer --until 2026-12-15 --note "after the migration"
    """
    from ..api.requests import decide_request as run

    result = run(request_id, decision, until=until, note=note)
    if json_out:
        emit_json(result)
        return
    say_decision(result)


def say_decision(result: dict) -> None:
    """The one-line answer to a request decision (also used by `opsctl decide req-N …`)."""
    suffix = f" until {short_time(result['until'])}" if result.get("until") else ""
    console().print(f"{result['id']} {styled_status(result['status'])}{suffix} — {deliveries_line(result['deliveries'])}")


# the group's subcommands, registered by opsctl/cli/registry.py
SUBCOMMANDS = {"list": list_requests, "show": show_request, "decide": decide}
