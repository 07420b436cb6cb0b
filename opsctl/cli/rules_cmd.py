"""`opsctl rules test FILE`: alert rules against sample runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .output import JsonFlag, emit_json

HELP = "Check alert rules (rules: and alerts:) against sample runs."


def test(
    file: Annotated[Path, typer.Argument(help="A YAML file of sample runs and the alerts expected (see docs/people.md).")],
    json_out: JsonFlag = False,
):
    """Run rule tests: exit 0 when every expectation holds, 1 with a diff when not.

    Example: opsctl rules test tests/rules.yaml
    """
    from ..jobs.rules_test import diff_text, run_tests
    from ..settings import Settings

    result = run_tests(file, default_config=Settings.load().config_path)
    if json_out:
        emit_json(result)
    elif result["ok"]:
        typer.echo(f"{result['passed']} rule test(s) passed")
    else:
        typer.echo(diff_text(result))
        typer.echo(f"{result['failed']} of {len(result['tests'])} rule test(s) failed")
    if not result["ok"]:
        raise typer.Exit(1)


SUBCOMMANDS = {"test": test}
