"""`opsctl channels list|test`: what is configured (secrets masked) and whether it works."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .output import JsonFlag, emit_json, table


HELP = "Where notifications go: Slack, Notion, the notify_user hook, webhooks."


def list_channels(json_out: JsonFlag = False):
    """Show the configured channels, their settings (secrets masked) and routing filters.

    Example: opsctl channels list
    """
    from ..api.channels import list_channels as run

    channels = run()
    if json_out:
        emit_json({"channels": channels, "count": len(channels)})
        return
    table("Channels", ["channel", "type", "ready", "settings", "routing"],
          [[c["channel"], c["type"], "yes" if c["ready"] else f"no: {c['missing']}",
            ", ".join(f"{k}={v}" for k, v in c["settings"].items()),
            ", ".join(f"{k}={v}" for k, v in c["routing"].items())] for c in channels],
          empty="no channel types available")
    if not any(c["ready"] for c in channels):
        typer.echo("no channel configured: notifications are recorded and shown in the terminal only "
                   "(see docs/channels.md)", err=True)


def test_channels(
    names: Annotated[Optional[list[str]], typer.Argument(help="Only these channels (default: all).")] = None,
    json_out: JsonFlag = False,
):
    """Send a test message to each configured channel now and report what happened.

    Exits 1 when a channel failed. Example: opsctl channels test slack
    """
    from ..api.channels import test_channels as run

    results = run(names)
    failed = [r for r in results if r["status"] == "failed"]
    if json_out:
        emit_json({"channels": results, "ok": not failed})
    else:
        table("Channel test", ["channel", "type", "result", "seconds", "detail"],
              [[r["channel"], r["type"], r["status"], r["seconds"], r["detail"]] for r in results],
              empty="no channel configured (see docs/channels.md)")
    if failed:
        raise typer.Exit(1)


# the group's subcommands, registered by opsctl/cli/registry.py
SUBCOMMANDS = {"list": list_channels, "test": test_channels}
