"""`opsctl ledger info|copy`: which ledger this is, and moving an SQLite ledger to PostgreSQL."""

from __future__ import annotations

from typing import Annotated

import typer

from .output import JsonFlag, emit_json

HELP = "Which ledger is in use (SQLite or PostgreSQL), and copying one into PostgreSQL."


def info(json_out: JsonFlag = False):
    """Backend, where (password masked), schema version and row counts per table.

    Example: opsctl ledger info --json
    """
    from ..api.ledger_admin import info as ledger_info

    result = ledger_info()
    if json_out:
        emit_json(result)
        return
    typer.echo(f"backend: {result['backend']}\nwhere: {result['where']}\n"
               f"schema version: {result['schema_version']} of {result['latest_schema_version']}")
    for name, count in result["tables"].items():
        typer.echo(f"  {name}: {count}")


def copy(
    to: Annotated[str, typer.Option("--to", help="The empty PostgreSQL ledger: postgresql://user:pass@host:port/db")],
    json_out: JsonFlag = False,
):
    """Copy this SQLite ledger (every table, ids kept) into an empty PostgreSQL ledger.

    Example: opsctl ledger copy --to postgresql://opsctl:secret@db.internal:5432/opsctl
    """
    from ..api.ledger_admin import copy as ledger_copy

    result = ledger_copy(to)
    if json_out:
        emit_json(result)
        return
    total = sum(result["copied"].values())
    typer.echo(f"copied {total} rows from {result['from']} to {result['to']}")


SUBCOMMANDS = {"info": info, "copy": copy}
