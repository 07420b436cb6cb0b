"""Rendering results: one JSON object for machines, Rich for people, plain rows for pipes.

The format is chosen once per call (`set_format`, from `--format`/`--json` in `argv.prepare`):
`table` (Rich) at a terminal, `tsv` (a header row, then tab-separated rows, never wrapped) when stdout
is a pipe or a file, `csv` on request, `json` for the command's JSON object. At a terminal, long
output goes through a pager (`OPSCTL_PAGER`, default `less -FRX`; empty to turn it off).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer

FORMATS = ("table", "tsv", "csv", "json")
JsonFlag = Annotated[bool, typer.Option(
    "--json", help="Print one JSON object on stdout and nothing else there (also: --format table|tsv|csv|json).")]

_format: str | None = None  # None: table at a terminal, tsv otherwise
_page: list | None = None  # the pager's buffer while a paged command runs


def set_format(value: str | None) -> None:
    global _format
    _format = value


def current_format() -> str:
    if _format:
        return _format
    return "table" if _stdout_is_terminal() else "tsv"


def human() -> bool:
    """True when stdout is read by a person (Rich tables, relative times)."""
    return current_format() == "table" and _stdout_is_terminal()


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def escape_markup(value):
    """User text made safe for Rich: `[bold]` and `[/api/users]` show literally (escaped, recursively)."""
    if isinstance(value, str):
        from rich.markup import escape

        return escape(value)
    if isinstance(value, dict):
        return {k: escape_markup(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [escape_markup(v) for v in value]
    return value


def emit_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


def stream_json(key: str, texts) -> None:
    """`{"<key>": [...], "count": N, "truncated": false}` from each item's JSON text (constant memory)."""
    from itertools import islice

    write, count, texts = sys.stdout.write, 0, iter(texts)
    write("{" + json.dumps(key) + ": [")
    while batch := list(islice(texts, 512)):  # a few hundred at a time: one write each
        write((", " if count else "") + ", ".join(batch))
        count += len(batch)
    write(f"], \"count\": {count}, \"truncated\": false}}\n")


def console(stderr: bool = False):
    from rich.console import Console

    if stderr:
        return Console(stderr=True, highlight=False, soft_wrap=False)
    if _page is not None:
        import io

        buffer = io.StringIO()
        _page.append(buffer)
        width = os.get_terminal_size(sys.stdout.fileno()).columns if _stdout_is_terminal() else 100
        return Console(file=buffer, force_terminal=True, width=width, highlight=False, soft_wrap=False)
    # piped: never wrap lines at 80 columns (grep must find whole rows)
    return Console(highlight=False, soft_wrap=not _stdout_is_terminal())


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
    """A Rich table at a terminal; a header row and tab- or comma-separated rows otherwise."""
    fmt = current_format()
    if fmt in ("tsv", "csv"):
        if not rows:
            print(empty, file=sys.stderr)
            return
        _plain_rows(fmt, columns, rows)
        return
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


def _plain_rows(fmt: str, columns: list[str], rows: list[list]) -> None:
    out = sys.stdout
    if fmt == "csv":
        import csv

        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[plain(cell) for cell in row] for row in rows])
        return
    out.write("\t".join(columns) + "\n")
    for row in rows:
        out.write("\t".join(_tsv_cell(plain(cell)) for cell in row) + "\n")


def _tsv_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def plain(cell) -> str:
    """A cell without its Rich markup ("[red]open[/red]" -> "open")."""
    if cell is None:
        return ""
    text = str(cell)
    if "[" not in text:
        return text
    from rich.text import Text

    try:
        return Text.from_markup(text).plain
    except Exception:  # noqa: BLE001 - not markup after all: keep it as written
        return text


STATUS_STYLE = {"open": "red", "escalated": "bold red", "acknowledged": "yellow", "resolved": "green",
                "false_positive": "dim", "pending": "yellow", "approved": "green", "rejected": "dim",
                "deferred": "cyan", "integrated": "green"}


def styled_status(status: str) -> str:
    style = STATUS_STYLE.get(status)
    return f"[{style}]{status}[/{style}]" if style else status


def short_time(iso: str | None) -> str:
    """"5 min ago" for a person at a terminal; the ISO time (to the minute) for pipes and files."""
    if not iso:
        return ""
    if human():
        return relative_time(iso)
    return iso[:16].replace("T", " ")


def relative_time(iso: str, at=None) -> str:
    from ..clock import now, parse_iso

    try:
        seconds = ((at or now()) - parse_iso(iso)).total_seconds()
    except ValueError:
        return iso[:16].replace("T", " ")
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 45:
        text = "just now" if not future else "in a moment"
        return text
    for size, unit in ((86400 * 365, "y"), (86400 * 30, "mo"), (86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size * 0.95:
            count = max(1, round(seconds / size))
            label = f"{count} {unit}"
            return f"in {label}" if future else f"{label} ago"
    return "just now"


# -- the pager --------------------------------------------------------------------------------------

def start_paging() -> bool:
    """Buffer stdout's Rich output for the pager (only at a terminal, in table format)."""
    global _page
    if not human() or not os.environ.get("OPSCTL_PAGER", "less -FRX").strip():
        return False
    _page = []
    return True


def finish_paging() -> None:
    """Show what was buffered: through the pager when it is taller than the terminal, else directly."""
    global _page
    if _page is None:
        return
    text, _page = "".join(buffer.getvalue() for buffer in _page), None
    if not text:
        return
    try:
        height = os.get_terminal_size(sys.stdout.fileno()).lines
    except OSError:
        height = 24
    command = os.environ.get("OPSCTL_PAGER", "less -FRX")
    if text.count("\n") < height - 1 or not command.strip():
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    import shlex
    import subprocess

    try:
        subprocess.run(shlex.split(command), input=text.encode(), check=False)
    except OSError:  # no such pager: print it all
        sys.stdout.write(text)
        sys.stdout.flush()
