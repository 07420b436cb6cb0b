"""Loopback fake of Slack's Socket Mode, beside the Web API fake.

``SocketModeFake(app_token="xapp-test")`` is a :class:`SlackFake` whose ``apps.connections.open``
(app token only) returns ``ws://127.0.0.1:PORT/link/?n=N``; a ``websockets`` server there sends
``hello`` on every connection, then whatever the test pushes:

* ``click(message, action_id, user=)``  an ``interactive``/``block_actions`` envelope built from a
  message opsctl really posted (its blocks, channel, ts; the button as rendered there)
* ``slash(text, user=, command="/opsctl")``  a ``slash_commands`` envelope; the reply goes to
  ``response_url`` = ``fake.url + "/respond/N"`` (recorded in ``fake.responses``)
* ``disconnect(reason="refresh_requested")``, ``drop()`` (closes the TCP socket, no close frame)
* ``acks``: envelope id -> seconds from sending the envelope to the client's ack
* ``connections``: number of websocket connections that got ``hello``

Also answers ``chat.postEphemeral`` (kept in ``fake.ephemerals``) and ``usergroups.users.list``
(``fake.usergroups``: group id -> user ids).
"""
from __future__ import annotations

import itertools
import json
import socket
import threading
import time

from websockets.sync.server import serve

from .base import Recorded, Reply
from .slack import SlackFake, _err, _ok

APP_ID = "A0FAKEAPP"


class SocketModeFake(SlackFake):
    def __init__(self, token: str = "xoxb-test-token", app_token: str = "xapp-1-test-app-token") -> None:
        super().__init__(token)
        self.app_token = app_token
        self.ephemerals: list[dict] = []
        self.responses: list[dict] = []
        self.usergroups: dict[str, list[str]] = {}
        self.acks: dict[str, float] = {}
        self.connections = 0
        self._sent_at: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._live = None
        self._ws_lock = threading.Lock()
        self._ws = serve(self._session, "127.0.0.1", 0)
        self.ws_port = self._ws.socket.getsockname()[1]
        threading.Thread(target=self._ws.serve_forever, daemon=True).start()

    # -- Web API additions ------------------------------------------------
    def handle(self, req: Recorded) -> Reply:
        if req.path.startswith("/respond/"):
            with self._lock:
                self.responses.append(dict(req.body or {}, _path=req.path))
            return Reply(200, "ok")
        if req.route == "apps.connections.open":
            auth = req.header("authorization") or ""
            if auth != f"Bearer {self.app_token}" or self.reject_auth:
                return _err("invalid_auth")
            return _ok(url=f"ws://127.0.0.1:{self.ws_port}/link/?n={next(self._ids)}")
        return super().handle(req)

    def _m_chat_postEphemeral(self, p: dict) -> Reply:
        with self._lock:
            self.ephemerals.append(p)
        return _ok(message_ts=self._next_ts())

    def _m_usergroups_users_list(self, p: dict) -> Reply:
        group = p.get("usergroup")
        if group not in self.usergroups:
            return _err("no_such_subteam")
        return _ok(users=self.usergroups[group])

    # -- the websocket side ------------------------------------------------
    def _session(self, conn) -> None:
        with self._ws_lock:
            self._live = conn
            self.connections += 1
        conn.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": APP_ID},
                              "debug_info": {"host": "fake", "approximate_connection_time": 18060}}))
        try:
            for raw in conn:
                data = json.loads(raw)
                envelope = data.get("envelope_id")
                if envelope:
                    with self._lock:
                        self.acks[envelope] = time.monotonic() - self._sent_at.get(envelope, time.monotonic())
        except Exception:
            pass
        with self._ws_lock:
            if self._live is conn:
                self._live = None

    def connected(self) -> bool:
        with self._ws_lock:
            return self._live is not None

    def send(self, kind: str, payload: dict | None = None, **extra) -> str:
        envelope = f"env-{next(self._ids)}"
        body = {"envelope_id": envelope, "type": kind, "accepts_response_payload": kind != "events_api",
                "retry_attempt": 0, "retry_reason": "", **extra}
        if payload is not None:
            body["payload"] = payload
        with self._ws_lock:
            conn = self._live
        assert conn is not None, "no listener connected"
        with self._lock:
            self._sent_at[envelope] = time.monotonic()
        conn.send(json.dumps(body))
        return envelope

    def click(self, message, action_id: str, *, user: str = "U0ALICE", selected_date: str | None = None) -> str:
        element = next((e for b in message.blocks or [] if b.get("type") == "actions"
                        for e in b["elements"] if e["action_id"] == action_id), None)
        assert element is not None, f"no button {action_id} in the message"
        block = next(b for b in message.blocks if element in b.get("elements", []))
        action = {"type": element["type"], "action_id": action_id, "block_id": block["block_id"],
                  "action_ts": f"{time.time():.6f}"}
        if element["type"] == "button":
            action.update(text=element["text"], value=element.get("value"))
        else:
            action["selected_date"] = selected_date
        payload = {"type": "block_actions", "user": {"id": user, "username": user.lower(), "team_id": "T000"},
                   "api_app_id": APP_ID, "token": "verification-token", "trigger_id": "1.2.3",
                   "team": {"id": "T000", "domain": "fake"}, "enterprise": None, "is_enterprise_install": False,
                   "container": {"type": "message", "message_ts": message.ts, "channel_id": message.channel,
                                 "is_ephemeral": False},
                   "channel": {"id": message.channel, "name": self.channels.get(message.channel, "")},
                   "message": {"type": "message", "ts": message.ts, "text": message.text, "blocks": message.blocks,
                               "user": "U0FAKEBOT", "bot_id": "B0FAKEBOT"},
                   "response_url": f"{self.url}/respond/{next(self._ids)}", "actions": [action], "state": {"values": {}}}
        return self.send("interactive", payload)

    def slash(self, text: str, *, user: str = "U0ALICE", command: str = "/opsctl") -> str:
        payload = {"token": "verification-token", "team_id": "T000", "team_domain": "fake",
                   "channel_id": "C000GENERAL", "channel_name": "general", "user_id": user,
                   "user_name": user.lower(), "command": command, "text": text, "api_app_id": APP_ID,
                   "is_enterprise_install": "false", "response_url": f"{self.url}/respond/{next(self._ids)}",
                   "trigger_id": "1.2.3"}
        return self.send("slash_commands", payload)

    def disconnect(self, reason: str = "refresh_requested") -> None:
        with self._ws_lock:
            conn = self._live
        conn.send(json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "fake"}}))

    def drop(self) -> None:
        with self._ws_lock:
            conn, self._live = self._live, None
        try:
            conn.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def stop(self) -> None:
        self._ws.shutdown()
        super().stop()
