"""`opsctl improvements list`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .output import JsonFlag, emit_json, short_time, table


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Improvements and whether they worked.", no_args_is_help=True)
    group.command("list")(list_improvements)
    app.add_typer(group, name="improvements")


def list_improvements(
    category: Annotated[Optional[str], typer.Option(help="Only this category.")] = None,
    department: Annotated[Optional[str], typer.Option(help="Only this department.")] = None,
    limit: Annotated[Optional[int], typer.Option(help="At most this many.")] = None,
    json_out: JsonFlag = False,
):
    """List logged improvements, newest first.

    Example: opsctl improvements list --category automation
    """
    from ..api.improvements import list_improvements as run

    items = run(category=category, department=department, limit=limit)
    if json_out:
        emit_json({"improvements": items, "count": len(items)})
        return
    table("Improvements", ["id", "category", "department", "improvement", "impact", "targets", "logged"],
          [[i["id"], i["category"], i["department"], i["improvement"], i["impact"], ", ".join(i["targets"]),
            short_time(i["created_at"])] for i in items], empty="no improvements logged")
