"""`opsctl slack listen` (the Socket Mode app) and `opsctl heartbeat`."""

from typing import Annotated

import typer

from .output import JsonFlag, emit_json

HELP = "The Slack app: buttons and the slash command answered over Socket Mode (no public URL)."


def listen(json_out: JsonFlag = False):
    """Run the Socket Mode client: answers buttons and the slash command until SIGTERM (exit 0).

    Needs SLACK_APP_TOKEN (xapp-…, connections:write) and SLACK_BOT_TOKEN. Reconnects on its own.
    Run it under systemd (docs/systemd/opsctl-slack.service). Example: opsctl slack listen
    """
    from ..slack.listen import listen as run

    code = run()
    if json_out:
        emit_json({"ok": code == 0, "stopped": True})
    raise typer.Exit(code)


def heartbeat(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the line without posting it.")] = False,
    json_out: JsonFlag = False,
):
    """Post one status line to Slack: all nominal, open warnings, or open blocking errors.

    For cron every 30 minutes. Example: */30 * * * * opsctl heartbeat
    """
    from ..errors import OperationalFailure
    from ..slack.heartbeat import heartbeat as run

    try:
        result = run(post=not dry_run)
    except OperationalFailure:
        raise
    except Exception as exc:  # Slack refused or unreachable: one line, exit 1
        from ..scrub import scrub

        raise OperationalFailure(scrub(f"heartbeat not posted: {type(exc).__name__}: {exc}")[:300]) from None
    if json_out:
        emit_json(result)
    elif not result["posted"]:  # cron stays quiet when the line went out
        typer.echo(result["text"] + ("" if dry_run else " (not posted: set SLACK_BOT_TOKEN + SLACK_CHANNEL)"))


SUBCOMMANDS = {"listen": listen}
