"""`opsctl doctor`: is this installation healthy? One line per problem, with its fix."""

import typer

from .output import JsonFlag, emit_json


def doctor(json_out: JsonFlag = False):
    """Check config, .env, file trust and permissions, ledger integrity, channels, outbox and tick.

    Exit 0 when all is well, 1 otherwise (one line per problem, with the fix).

    Example: opsctl doctor
    """
    from ..doctor import run

    report = run()
    if json_out:
        emit_json(report)
    else:
        for item in report["checks"]:
            if item["ok"]:
                detail = "; ".join(item["notes"]) or "ok"
                typer.echo(f"ok       {item['check']}: {detail}")
        for problem in report["problems"]:
            typer.echo(f"PROBLEM  {problem['check']}: {problem['problem']} — fix: {problem['fix']}")
    raise typer.Exit(0 if report["ok"] else 1)
