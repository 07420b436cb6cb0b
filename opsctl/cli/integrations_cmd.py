"""`opsctl integrations list|add|check`: the inventory in integrations.md."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .output import JsonFlag, console, emit_json, short_time, table


HELP = "The integrations inventory (integrations.md): list, add, review."


def list_integrations(json_out: JsonFlag = False):
    """List the integrations in the inventory table, and rows that cannot be read.

    Example: opsctl integrations list
    """
    from ..inventory.review import list_integrations as run

    result = run()
    if json_out:
        emit_json(result)
        return
    if not result["exists"]:
        typer.echo(f"no inventory at {result['file']}: start one with `opsctl integrations add --service NAME …`")
        return
    table(f"Integrations ({result['file']})", ["service", "tier", "limits", "credentials", "monitoring", "backup"],
          [[i["service"], i["tier"], i["limits"], i["credential"], _monitoring(i), i["backup"]]
           for i in result["integrations"]], empty="the table has no rows yet")
    _problems(result["problems"])


def add_integration(
    service: Annotated[str, typer.Option(help="The service, e.g. 'Airtable API'.")],
    tier: Annotated[str, typer.Option(help="API tier or plan, e.g. 'Free', 'Pro ($20/mo)'.")] = "",
    limits: Annotated[str, typer.Option(help="Its limits, e.g. '5 requests/s, 1000 records/base'.")] = "",
    credential: Annotated[str, typer.Option(help="Where the credential lives (never the secret itself).")] = "",
    monitoring: Annotated[str, typer.Option(help="How usage is watched, e.g. 'opsctl quota (http)'.")] = "",
    backup: Annotated[str, typer.Option(help="The fallback when it is down or exhausted.")] = "",
    request: Annotated[Optional[str], typer.Option(help="The integration request this fulfils (req-7): marked integrated.")] = None,
    json_out: JsonFlag = False,
):
    """Add a row to the inventory table (e.g. when an integration request is approved and done).

    Example: opsctl integrations add --service "Airtable API" --tier Free --limits "5 req/s"
    --credential "AIRTABLE_TOKEN in .env" --monitoring "none yet" --backup "CSV export" --request req-7
    """
    from ..inventory.add import add_integration as run

    result = run(service, tier=tier, limits=limits, credential=credential, monitoring=monitoring, backup=backup,
                 request=request)
    if json_out:
        emit_json(result)
        return
    done = f"; {result['request']['id']} {result['request']['status']}" if result["request"] else ""
    typer.echo(f"added {result['service']} to {result['file']} (line {result['line']}){done}")


def check_integrations(
    unused_days: Annotated[int, typer.Option(help="A service nothing referenced for this many days is flagged.")] = 30,
    json_out: JsonFlag = False,
):
    """Review the inventory: rows without usage monitoring or backup option, services unused for 30 days.

    Example: opsctl integrations check
    """
    from ..inventory.review import check_integrations as run

    result = run(unused_days=unused_days)
    if json_out:
        emit_json(result)
        return
    flagged = [i for i in result["integrations"] if i["flags"]]
    table(f"Integrations to review ({result['file']})", ["service", "line", "flags", "last used"],
          [[i["service"], i["line"], "; ".join(i["flags"]), short_time(i["last_used"]) or "never"] for i in flagged],
          empty=f"all {len(result['integrations'])} integrations have monitoring and a backup, and are in use")
    _problems(result["problems"])


def _monitoring(integration: dict) -> str:
    source = integration["usage_source"]
    monitoring = integration["monitoring"]
    if not source or f"({source})" in monitoring:  # "opsctl quota (http)" already names its source
        return monitoring
    return f"{monitoring} [dim]({source})[/dim]"


def _problems(problems: list[dict]) -> None:
    if not problems:
        return
    out = console(stderr=True)
    for problem in problems:
        where = f"line {problem['line']}: " if problem["line"] else ""
        who = f"{problem['service']}: " if problem["service"] else ""
        out.print(f"[yellow]problem[/yellow] {where}{who}{problem['problem']}", markup=True, highlight=False)


# the group's subcommands, registered by opsctl/cli/registry.py
SUBCOMMANDS = {"list": list_integrations, "add": add_integration, "check": check_integrations}
