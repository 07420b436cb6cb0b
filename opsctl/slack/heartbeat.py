"""`opsctl heartbeat`: one status line to Slack, for cron every 30 minutes."""

from __future__ import annotations

from ..context import Context, ensure


def status_line(ctx: Context) -> tuple[str, str, dict]:
    """(level, line, counts): red while a blocking error is open, orange while a warning is, else green."""
    from ..api.listing import iter_errors

    counts = {"blocking": 0, "warning": 0, "info": 0}
    for error in iter_errors(status="unresolved", ctx=ctx):
        counts[error["impact"]] = counts.get(error["impact"], 0) + 1
    if counts["blocking"]:
        level = "red"
        line = f":red_circle: {_n(counts['blocking'], 'blocking error')} open"
        if counts["warning"]:
            line += f", {_n(counts['warning'], 'warning')}"
    elif counts["warning"]:
        level, line = "orange", f":orange_circle: {_n(counts['warning'], 'open warning')}"
    else:
        level, line = "green", ":green_circle: All systems nominal"
    if counts["info"] and level != "green":
        line += f" ({counts['info']} info)"
    return level, line, counts


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def heartbeat(*, post: bool = True, ctx: Context | None = None) -> dict:
    """Post the status line with the bot token (or the incoming webhook); return what was said and where."""
    from .config import load

    ctx = ensure(ctx)
    load(ctx)  # a broken slack: section is named before anything is posted
    level, line, counts = status_line(ctx)
    result = {"level": level, "text": line, "open": counts, "posted": False, "channel": None}
    if not post:
        return result
    settings = ctx.settings
    if settings.get("SLACK_BOT_TOKEN") and settings.get("SLACK_CHANNEL"):
        from .web import client

        response = client(settings).chat_postMessage(channel=settings.get("SLACK_CHANNEL"), text=line,
                                                     unfurl_links=False)
        result.update(posted=True, channel=response.get("channel"), ts=response.get("ts"))
    elif settings.get("SLACK_WEBHOOK_URL"):
        from slack_sdk.webhook import WebhookClient

        response = WebhookClient(settings.get("SLACK_WEBHOOK_URL"), timeout=10).send(text=line)
        result.update(posted=response.status_code == 200, channel="webhook")
    return result
