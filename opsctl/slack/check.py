"""Is the Slack app usable? `app_token(ctx)` opens a Socket Mode connection URL (`apps.connections.open`).

For `opsctl doctor` and `opsctl channels test slack`; also says when `opsctl slack listen` last ran.
"""

from __future__ import annotations

from datetime import timedelta

from ..clock import now, parse_iso
from ..context import Context, ensure

RECENT = timedelta(minutes=5)


def app_token(ctx: Context | None = None, *, timeout: int = 10) -> tuple[bool | None, str]:
    """(True, detail) when the app token works, (False, problem and fix), (None, why) when none is set."""
    from slack_sdk.errors import SlackApiError

    from .web import client

    ctx = ensure(ctx)
    token = ctx.settings.get("SLACK_APP_TOKEN")
    if not token:
        return None, "SLACK_APP_TOKEN not set: buttons and the slash command need `opsctl slack listen` with it"
    if not token.startswith("xapp-"):
        return False, "SLACK_APP_TOKEN is not an app-level token (xapp-…); create one with connections:write"
    try:
        client(ctx.settings, "", timeout=timeout).apps_connections_open(app_token=token)
    except SlackApiError as exc:
        error = exc.response.get("error") if hasattr(exc.response, "get") else exc.response
        return False, (f"Slack rejected SLACK_APP_TOKEN ({error}); create an app-level token with the "
                       "connections:write scope and enable Socket Mode")
    except Exception as exc:  # noqa: BLE001 - unreachable, timeout: report it
        return False, f"cannot reach Slack to check SLACK_APP_TOKEN ({type(exc).__name__}: {exc})"[:300]
    return True, "SLACK_APP_TOKEN works (Socket Mode connection opened)"


def listener_seen(ctx: Context | None = None) -> str | None:
    """When `opsctl slack listen` last reported in (ISO), or None."""
    from ..ledger import kv_table
    from .listen import SEEN_KEY

    return kv_table.get(ensure(ctx).conn, SEEN_KEY)


def listener_running(ctx: Context | None = None) -> bool:
    seen = listener_seen(ctx)
    return bool(seen) and now() - parse_iso(seen) < RECENT


def note(ctx: Context | None = None) -> str:
    """One line for `channels test slack`."""
    ok, detail = app_token(ctx)
    if ok:
        running = listener_running(ctx)
        detail += "; listener " + ("running" if running else "not seen in 5 min: start `opsctl slack listen`")
    return detail


def app_token_line(channel, failure) -> str:
    """For SlackChannel.test: the app token's state as a line, or `failure` raised when it is broken."""
    ok, detail = app_token()
    if ok is False:
        raise failure(detail)
    return detail
