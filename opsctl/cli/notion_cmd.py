"""`opsctl notion setup`: create the Notion databases opsctl mirrors the ledger into."""

from __future__ import annotations

from typing import Annotated

import typer

from .output import JsonFlag, emit_json


HELP = "Notion databases for errors, requests and improvements."


def setup(
    parent_page: Annotated[str, typer.Option("--parent-page", help="The page (id or URL) to create the databases in; share it with the integration first.")],
    json_out: JsonFlag = False,
):
    """Create the errors, requests and improvements databases and print the ids for .env.

    Needs NOTION_TOKEN. Example: opsctl notion setup --parent-page 1f2e3d4c5b6a79880123456789abcdef >> .env
    """
    from ..channels.notion_setup import setup as run

    result = run(parent_page)
    if json_out:
        emit_json(result)
        return
    typer.echo("# Notion databases created; add these lines to .env:", err=True)
    for line in result["env"]:
        typer.echo(line)


# the group's subcommands, registered by opsctl/cli/registry.py
SUBCOMMANDS = {"setup": setup}
