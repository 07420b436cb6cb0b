"""Rendering results: one JSON object for machines, Rich for people."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout and nothing else there.")]


def plain(value):
    """User text made safe for Rich: `[bold]` and `[/api/users]` show literally (escaped, recursively)."""
    if isinstance(value, str):
        from rich.markup import escape

        return escape(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def emit_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def show_notification(payload: dict) -> None:
    """The terminal rendering of a notification (stderr, so stdout stays clean)."""
    from rich.markdown import Markdown
    from rich.panel import Panel

    styles = {"blocking": "red", "warning": "yellow", "info": "blue"}
    console(stderr=True).print(
        Panel(Markdown(payload["message"]), border_style=styles.get(payload.get("impact"), "cyan"), expand=False))


def deliveries_line(deliveries: list[dict]) -> str:
    if not deliveries:
        return "no channel configured: shown here only"
    return ", ".join(f"{d['channel']}: {d['status']}" + (f" ({d['error']})" if d.get("error") and d["status"] == "failed"
                                                          else "") for d in deliveries)


def table(title: str, columns: list[str], rows: list[list], empty: str = "nothing to show") -> None:
    from rich.table import Table

    if not rows:
        console().print(f"[dim]{empty}[/dim]")
        return
    grid = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*["" if cell is None else str(cell) for cell in row])
    console().print(grid)


STATUS_STYLE = {"open": "red", "escalated": "bold red", "acknowledged": "yellow", "resolved": "green",
                "false_positive": "dim", "pending": "yellow", "approved": "green", "rejected": "dim",
                "deferred": "cyan", "integrated": "green"}


def styled_status(status: str) -> str:
    style = STATUS_STYLE.get(status)
    return f"[{style}]{status}[/{style}]" if style else status


def short_time(iso: str | None) -> str:
    return (iso or "")[:16].replace("T", " ")
