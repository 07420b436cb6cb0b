"""`opsctl completion bash|zsh|fish`: the shell's completion script, and the completer it calls back.

The script runs `opsctl` with `_OPSCTL_COMPLETE=complete_<shell>` and the words typed so far;
`complete()` then answers from the full command tree (every command loaded, unlike a normal call).
"""

from __future__ import annotations

from typing import Annotated

import typer

from .output import JsonFlag, emit_json

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_OPSCTL_COMPLETE"


def script(shell: str) -> str:
    from typer._completion_shared import get_completion_script

    if shell not in SHELLS:
        from ..errors import InvalidInput

        raise InvalidInput(f"invalid shell {shell!r}; valid: {', '.join(SHELLS)}")
    return get_completion_script(prog_name="opsctl", complete_var=COMPLETE_VAR, shell=shell)


def completion(
    shell: Annotated[str, typer.Argument(help="bash, zsh or fish.")],
    json_out: JsonFlag = False,
):
    """Print the shell completion script for bash, zsh or fish.

    Example: eval "$(opsctl completion bash)"   (or add that line to ~/.bashrc)
    """
    text = script(shell)
    if json_out:
        emit_json({"shell": shell, "script": text})
        return
    typer.echo(text)


def complete() -> int:
    """Answer the shell's completion request (`_OPSCTL_COMPLETE` is set)."""
    from typer.completion import completion_init
    from typer.main import get_command

    from .registry import build_app

    completion_init()
    command = get_command(build_app([]))
    try:
        command.main(args=[], prog_name="opsctl", complete_var=COMPLETE_VAR)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    return 0

