"""`opsctl slack listen`: the Socket Mode client (slack-bolt on slack-sdk's built-in websocket client).

What slack-sdk already does, and is left to it: a ping every `ping_interval` seconds, a session
with no pong for 4 intervals counts as stale and is replaced, a closed socket is reopened
(`apps.connections.open` again), and Slack's `disconnect` envelopes (`refresh_requested`,
`link_disabled`, …) make it move to a new endpoint. What this module adds:

- a watchdog: when neither a message nor a pong arrived for `OPSCTL_SLACK_WATCHDOG` seconds
  (default 120), it forces a new connection — the silent-socket case the pong check can miss
  when the socket still accepts pings but Slack stopped delivering;
- a heartbeat in the ledger (`slack:listen:seen`, every minute; `slack:listen:connected_at`)
  so `doctor` and the notifications can tell whether anyone answers the buttons;
- SIGTERM/SIGINT: close the socket and exit 0 (systemd's stop).
"""

from __future__ import annotations

import logging
import re
import signal
import sys
import threading
import time

from ..clock import now, to_iso
from ..context import Context

log = logging.getLogger("opsctl.slack")
SEEN_KEY, CONNECTED_KEY = "slack:listen:seen", "slack:listen:connected_at"
DEFAULT_WATCHDOG = 120.0
HEARTBEAT_EVERY = 60.0


def _number(settings, name: str, default: float) -> float:
    from ..errors import InvalidInput

    raw = settings.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1
    if value <= 0:
        raise InvalidInput(f"{name}={raw!r} is not a number of seconds above 0")
    return value


class Listener:
    def __init__(self, ctx: Context):
        from ..slack.access import Gate
        from ..slack.config import load
        from .web import client, require

        self.settings = ctx.settings
        tokens = require(self.settings, "SLACK_APP_TOKEN", "SLACK_BOT_TOKEN")
        self.config = load(ctx)
        self.watchdog = _number(self.settings, "OPSCTL_SLACK_WATCHDOG", DEFAULT_WATCHDOG)
        self.ping_interval = _number(self.settings, "OPSCTL_SLACK_PING", 10.0)
        self.web = client(self.settings)
        self.gate = Gate(self.config, self._group_members)
        self.stop = threading.Event()
        self.last_activity = time.monotonic()
        self.reconnects = 0
        self.app = self._app()
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        self.handler = SocketModeHandler(self.app, tokens["SLACK_APP_TOKEN"],
                                         web_client=client(self.settings, token=""), ping_interval=self.ping_interval)
        self.handler.client.on_message_listeners.append(self._on_message)

    # -- bolt wiring --------------------------------------------------------
    def _app(self):
        from slack_bolt import App

        app = App(client=self.web, process_before_response=False, logger=log,
                  ignoring_self_events_enabled=False, request_verification_enabled=False)
        app.action(re.compile(r"^opsctl:"))(self.on_action)
        app.command(self.config.command)(self.on_command)
        return app

    def on_action(self, ack, body, action, client):
        ack()  # within Slack's 3 s, before any slow work
        from .access import REFUSAL
        from .clicks import handle

        user = (body.get("user") or {}).get("id") or "unknown"
        container = body.get("container") or {}
        channel, ts = container.get("channel_id") or (body.get("channel") or {}).get("id"), container.get("message_ts")
        if not self.gate.allows(user):
            self._ephemeral(client, channel, user, REFUSAL)
            return
        ctx = Context(actor=f"slack:{user}")
        try:
            click = handle(ctx, action.get("action_id") or action.get("value") or "", user=user,
                           selected_date=action.get("selected_date"))
        finally:
            ctx.close()
        if click.outcome == "done" and channel and ts:
            from .message import settled

            text, blocks = settled((body.get("message") or {}), click.line)
            client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        else:
            self._ephemeral(client, channel, user, click.line)

    def on_command(self, ack, command, respond):
        ack()
        from .access import REFUSAL
        from .commands import run

        user = command.get("user_id") or "unknown"
        if not self.gate.allows(user):
            respond(text=REFUSAL, response_type="ephemeral")
            return
        ctx = Context(actor=f"slack:{user}")
        try:
            text, blocks = run(ctx, command.get("text") or "", user=user, command=self.config.command)
        finally:
            ctx.close()
        respond(text=text, blocks=blocks, response_type="ephemeral")

    def _ephemeral(self, client, channel, user, text):
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, text=text)

    def _group_members(self, group: str) -> list[str]:
        return list(self.web.usergroups_users_list(usergroup=group).get("users") or [])

    # -- liveness -------------------------------------------------------------
    def _on_message(self, message: str) -> None:
        self.last_activity = time.monotonic()
        if '"hello"' in message[:200]:
            self._remember(CONNECTED_KEY)
            log.info("connected to Slack (Socket Mode)")

    def _last_pong(self) -> float:
        session = getattr(self.handler.client, "current_session", None)
        pong = getattr(session, "last_ping_pong_time", None)  # time.time() of the last pong
        return time.monotonic() - (time.time() - pong) if pong else 0.0

    def _remember(self, key: str) -> None:
        from ..ledger import kv_table, transaction

        ctx = Context()
        try:
            at = to_iso(now())
            with transaction(ctx.conn):
                kv_table.put(ctx.conn, key, at, at=at)
        except Exception as exc:  # a busy ledger must not stop the listener
            log.warning("could not record %s: %s", key, exc)
        finally:
            ctx.close()

    def _watch(self) -> None:
        next_beat = 0.0
        step = min(self.watchdog / 4, 15.0)
        while not self.stop.wait(step):
            moment = time.monotonic()
            if moment >= next_beat:
                self._remember(SEEN_KEY)
                next_beat = moment + HEARTBEAT_EVERY
            quiet = moment - max(self.last_activity, self._last_pong())
            if quiet > self.watchdog:
                log.warning("no message or pong from Slack for %.0f s: reconnecting", quiet)
                self.reconnects += 1
                self.last_activity = moment
                try:
                    self.handler.client.connect_to_new_endpoint(force=True)
                except Exception as exc:
                    log.warning("reconnect failed (%s); trying again in %.0f s", exc, self.watchdog)

    # -- run --------------------------------------------------------------------
    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop.set())
        self.handler.connect()
        self._remember(SEEN_KEY)
        watcher = threading.Thread(target=self._watch, name="opsctl-slack-watchdog", daemon=True)
        watcher.start()
        self.stop.wait()
        log.info("stopping")
        try:
            self.handler.close()
        except Exception:
            pass
        return 0


def listen(ctx: Context | None = None) -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("slack_bolt").setLevel(logging.WARNING)
    logging.getLogger("slack_sdk").setLevel(logging.WARNING)
    return Listener(ctx or Context()).run()
