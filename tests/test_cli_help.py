"""`opsctl --help` is printed from a light overview of the commands (no typer command built):
it must read exactly as the full typer app's help."""

from __future__ import annotations

import click
import typer.main

from opsctl.cli.registry import build_app, overview


def _help(command) -> str:
    with click.Context(command, info_name="opsctl", **command.context_settings) as ctx:
        return command.get_help(ctx) + "\n"


def test_overview_reads_as_the_full_app():
    full = _help(typer.main.get_command(build_app([])))
    assert _help(overview()) == full
    assert "  track-error " in full and "  ledger " in full and "-h, --help" in full


def test_root_help_and_no_arguments(run_cli):
    code, out, _ = run_cli("--help")
    assert code == 0 and out == _help(typer.main.get_command(build_app([])))
    assert run_cli("-h")[1] == out and run_cli()[1] == out
    code, _, err = run_cli("bogus")
    assert code == 2 and "No such command 'bogus'" in err
