"""Every command has help text, works with --help, and is shown in the README with an example."""

from __future__ import annotations

import pytest

from tests.conftest import REPO


def _commands():
    import typer.main

    from opsctl.cli.registry import build_app

    root = typer.main.get_command(build_app([]))
    for name, command in sorted(root.commands.items()):
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for sub_name, sub in sorted(subcommands.items()):
                yield f"{name} {sub_name}", sub
        else:
            yield name, command


COMMANDS = list(_commands())
README = (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name,command", COMMANDS, ids=[name for name, _ in COMMANDS])
def test_command_has_help_and_readme_example(name, command):
    assert (command.help or "").strip(), f"`opsctl {name}` has no help text"
    assert f"opsctl {name}" in README, f"README.md has no example of `opsctl {name}`"


@pytest.mark.parametrize("name", [name for name, _ in COMMANDS])
def test_help_exits_zero(run_cli, name):
    code, out, _ = run_cli(*name.split(), "--help")
    assert code == 0 and "Usage" in out


@pytest.mark.parametrize("name,command", COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_takes_json(name, command):
    assert any("--json" in getattr(param, "opts", []) for param in command.params), f"`opsctl {name}` lacks --json"


def test_run_fast_path_takes_json_too():
    """`opsctl run NAME --json -- CMD` never reaches typer: its own parser must know --json."""
    from opsctl.cli.run_fast import parse

    assert parse(["nightly", "--json", "--", "true"])["json"] is True
    assert parse(["nightly", "--", "true"])["json"] is False
