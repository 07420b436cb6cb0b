"""`opsctl run NAME [--timeout 300] [--lock/--no-lock] [--max-lock-age 1h] [--json] -- COMMAND ARGS…`

The typer command: help text, usage errors and any form `run_fast` does not take.
"""

from __future__ import annotations

from typing import Annotated, Optional

from .run_fast import execute


def _arg(metavar: str, help: str):
    import typer

    return typer.Argument(metavar=metavar, help=help, show_default=False)


def _opt(flags: str, help: str):
    import typer

    return typer.Option(flags, help=help, show_default=False)


def run(
    name: Annotated[str, _arg("NAME", "The job's name (letters, digits, . _ -): its lock, its runs, its errors.")],
    command: Annotated[Optional[list[str]], _arg("COMMAND", "After --: the command and its arguments (no shell).")] = None,
    timeout: Annotated[Optional[str], _opt("--timeout", "Kill the job after this long: 300, 90s, 10m (0: never). Default: jobs.NAME.timeout, else 300s.")] = None,
    lock: Annotated[Optional[bool], _opt("--lock/--no-lock", "Skip (exit 75) when the previous run still runs. Default on.")] = None,
    max_lock_age: Annotated[Optional[str], _opt("--max-lock-age", "A lock held longer than this raises a 'job hung' error. Default 1h.")] = None,
    json_out: Annotated[bool, _opt("--json", "Print one JSON object on stdout (the job's stdout goes to stderr).")] = False,
):
    """Run a job under supervision: overlap lock, timeout, run log, alert on failure.

    Exit code: the job's own; 124 when killed at the timeout; 75 when skipped
    because the previous run still holds the lock; 127/126 when the command
    cannot be started. Silent on success.

    Example: opsctl run nightly --timeout 600 -- ./job.sh --full
    """
    if not command:
        from ..errors import InvalidInput

        raise InvalidInput(f"no command given; use: opsctl run {name} -- COMMAND ARGS…")
    return execute(name, command, timeout=timeout, lock=lock, max_lock_age=max_lock_age, json_out=json_out)
