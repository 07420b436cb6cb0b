"""The slash command (`/opsctl status|errors|logs|ack|decide|help`): text in, Block Kit out (seen by the caller only)."""

from __future__ import annotations

import shlex

from ..errors import OpsctlError
from ..messages.slack_blocks import cut, escape

MAX_LINES = 20


def help_text(command: str = "/opsctl") -> str:
    return "\n".join([
        f"*{command}* — answer opsctl from Slack",
        f"`{command} status` — open errors by impact",
        f"`{command} errors [--impact blocking|warning|info]` — the open errors",
        f"`{command} logs [JOB]` — the last runs of `opsctl run` (all jobs, or one)",
        f"`{command} ack ID` — acknowledge an error (stops its escalation)",
        f"`{command} decide ID N` — choose option N of an error",
        f"`{command} help` — this text",
    ])


def run(ctx, text: str, *, user: str, command: str = "/opsctl") -> tuple[str, list]:
    """(fallback text, blocks) answering one slash command."""
    try:
        words = shlex.split(text or "")
    except ValueError:
        words = []
    verb, args = (words[0].lower(), words[1:]) if words else ("help", [])
    handler = HANDLERS.get(verb)
    if handler is None:
        return _reply(help_text(command))
    try:
        return _reply(handler(ctx, args, user) or help_text(command))
    except OpsctlError as exc:
        return _reply(f":warning: {escape(str(exc))}")


def _reply(text: str) -> tuple[str, list]:
    text = cut(text, 3000)
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def _status(ctx, args, user) -> str:
    from .heartbeat import status_line

    return status_line(ctx)[1]


def _errors(ctx, args, user) -> str | None:
    from ..api.listing import list_errors

    impact = None
    if args:
        if args[0] != "--impact" or len(args) != 2:
            return None
        impact = args[1]
    errors = list_errors(status="unresolved", impact_=impact, limit=MAX_LINES, ctx=ctx)["errors"]
    if not errors:
        return ":green_circle: No open errors" + (f" with impact {impact}" if impact else "")
    lines = [f"*Open errors* ({len(errors)}{'+' if len(errors) == MAX_LINES else ''})"]
    lines += [f"• `{e['id']}` {escape(e['service'])} — {e['type']}, {e['impact']}, {e['status']}"
              f" (×{e['occurrences']})" for e in errors]
    return "\n".join(lines)


def _logs(ctx, args, user) -> str:
    from ..ledger import runs_table

    jobs = args[:1] or runs_table.job_names(ctx.conn)
    lines = []
    for job in jobs:
        for run in runs_table.recent(ctx.conn, job, limit=5 if len(jobs) > 1 else 10):
            error = f" → `{run['error_id']}`" if run.get("error_id") else ""
            lines.append(f"• *{escape(run['job'])}* {run['started_at'][:16].replace('T', ' ')} "
                         f"{run['status']} (exit {run['exit_code']}){error}")
    return "\n".join(["*Recent runs*", *lines[:MAX_LINES]]) if lines else \
        "No runs recorded" + (f" for job {escape(jobs[0])}" if args else "") + "; jobs record runs with `opsctl run`."


def _ack(ctx, args, user) -> str | None:
    from .clicks import handle

    if len(args) != 1:
        return None
    return _click(handle(ctx, f"opsctl:ack:{_error_id(args[0])}", user=user))


def _decide(ctx, args, user) -> str | None:
    from .clicks import handle

    if len(args) != 2:
        return None
    return _click(handle(ctx, f"opsctl:decide:{_error_id(args[0])}:{args[1]}", user=user))


def _error_id(raw: str) -> str:
    from ..ids import format_id, parse_id

    return format_id("error", parse_id("error", raw))


def _click(click) -> str:
    return (":white_check_mark: " if click.outcome == "done" else ":information_source: ") + click.line


def _help(ctx, args, user) -> None:
    return None


HANDLERS = {"status": _status, "errors": _errors, "logs": _logs, "ack": _ack, "decide": _decide, "help": _help}
