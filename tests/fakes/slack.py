"""Loopback fake of the Slack Web API and of Slack incoming webhooks.

Web API: ``WebClient(token=fake.token, base_url=fake.api_url)`` where
``fake.api_url == fake.url + "/api/"``. Implemented methods (routes):
``chat.postMessage``, ``chat.update``, ``auth.test``, ``conversations.info``, ``usergroups.list``
(``fake.usergroups`` maps handle -> id; ``fake.usergroups_scope = False`` answers ``missing_scope``).
Like Slack, API errors are HTTP 200 ``{"ok": false, "error": "..."}``:
``not_authed`` (no token), ``invalid_auth`` (token != ``fake.token`` or
``fake.reject_auth``), ``channel_not_found``, ``no_text``, ``msg_too_long``,
``invalid_blocks``, ``message_not_found``, ``unknown_method``.

Channels: ``fake.channels`` maps id -> name; ``"general"`` (``C000GENERAL``)
exists. ``add_channel(name)`` registers another. Any id-shaped channel
(``C``/``G``/``D`` + 8 or more upper-case alnum) is accepted and auto-registered;
unknown *names* give ``channel_not_found``.

Incoming webhook: ``WebhookClient(fake.webhook_url)`` posts to
``/services/T000/B000/XXXX`` (route ``"webhook"``); answers text ``ok`` (200),
``no_text``/``invalid_payload`` (400), ``no_service`` (404, other paths),
``invalid_token`` (403, when ``reject_auth``).

Every successful post (API or webhook) is appended to ``fake.messages``
(:class:`SlackMessage`); ``chat.update`` edits it and appends to
``fake.updates`` and ``message.updates``.

Faults: ``fail_next("chat.postMessage", ok_false="channel_not_found")`` (HTTP
200, ok false), ``fail_next(route, status=429, retry_after=0)`` (body
``{"ok":false,"error":"ratelimited"}``, ``Retry-After`` defaults to 1),
``fail_next(route, status=500)`` (plain-text body, like Slack's edge).
On the ``"webhook"`` route error bodies are plain text (``rate_limited`` etc.).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .base import FakeServer, Fault, Recorded, Reply

BOT_USER, BOT_ID, TEAM_ID = "U0FAKEBOT", "B0FAKEBOT", "T000"
WEBHOOK_PATH = "/services/T000/B000/XXXX"
_ID_SHAPED = re.compile(r"^[CGD][A-Z0-9]{8,}$")
_WEBHOOK_TEXT = {400: "invalid_payload", 403: "invalid_token", 404: "no_service",
                 410: "channel_is_archived", 429: "rate_limited", 500: "internal_error"}


@dataclass
class SlackMessage:
    """A message as stored by the fake; ``via`` is ``"api"`` or ``"webhook"``."""

    channel: str
    ts: str
    text: str | None
    blocks: list | None = None
    thread_ts: str | None = None
    attachments: list | None = None
    via: str = "api"
    updates: list[dict] = field(default_factory=list)
    raw: dict = field(default_factory=dict)


class SlackFake(FakeServer):
    """Fake Slack. ``SlackFake(token="xoxb-test")``; see module docstring."""

    def __init__(self, token: str = "xoxb-test-token") -> None:
        self.token = token
        self.channels: dict[str, str] = {"C000GENERAL": "general"}
        self.messages: list[SlackMessage] = []
        self.updates: list[dict] = []
        self.webhook_channel = "C000WEBHOOK"
        self.usergroups: dict[str, str] = {}  # handle -> id, for usergroups.list
        self.usergroups_scope = True  # False: usergroups.list answers missing_scope
        self._seq = 0
        super().__init__()
        self.api_url = self.url + "/api/"
        self.webhook_url = self.url + WEBHOOK_PATH

    # -- helpers for tests ------------------------------------------------
    def add_channel(self, name: str, channel_id: str | None = None) -> str:
        channel_id = channel_id or "C" + re.sub(r"[^A-Z0-9]", "", name.upper()).ljust(8, "0")[:10]
        self.channels[channel_id] = name
        return channel_id

    def message(self, ts: str) -> SlackMessage | None:
        return next((m for m in self.messages if m.ts == ts), None)

    def replies(self, thread_ts: str) -> list[SlackMessage]:
        return [m for m in self.messages if m.thread_ts == thread_ts]

    # -- FakeServer hooks -------------------------------------------------
    def route_of(self, method: str, path: str) -> str:
        if path.startswith("/api/"):
            return path[len("/api/"):]
        return "webhook" if path.startswith("/services/") else path

    def render_fault(self, fault: Fault, req: Recorded) -> Reply:
        extra = fault.extra
        if req.route == "webhook":
            text = extra.get("error") or _WEBHOOK_TEXT.get(fault.status, "error")
            reply = Reply(fault.status, fault.body if fault.body is not None else text)
        elif "ok_false" in extra or "error" in extra:
            error = extra.get("ok_false") or extra["error"]
            status = 200 if "ok_false" in extra else fault.status
            reply = Reply(status, fault.body or {"ok": False, "error": error})
        elif fault.status == 429:
            reply = Reply(429, fault.body or {"ok": False, "error": "ratelimited"})
        else:
            reply = Reply(fault.status, fault.body if fault.body is not None
                          else f"{fault.status} Server Error")
        if fault.status == 429 and fault.retry_after is None:
            reply.headers["Retry-After"] = "1"
        return reply

    def handle(self, req: Recorded) -> Reply:
        if req.route == "webhook":
            return self._webhook(req)
        if not req.path.startswith("/api/"):
            return Reply(404, "not found")
        params = dict(req.query)
        if isinstance(req.body, dict):
            params.update(req.body)
        for key in ("blocks", "attachments"):  # form-encoded clients send JSON strings
            if isinstance(params.get(key), str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    pass
        auth = req.header("authorization") or ""
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else params.get("token")
        if not token:
            return _err("not_authed")
        if token != self.token or self.reject_auth:
            return _err("invalid_auth")
        method = getattr(self, "_m_" + req.route.replace(".", "_"), None)
        return method(params) if method else _err("unknown_method")

    # -- Web API methods --------------------------------------------------
    def _m_auth_test(self, p: dict) -> Reply:
        return _ok(url="https://fake.slack.com/", team="Fake Team", user="opsbot",
                   team_id=TEAM_ID, user_id=BOT_USER, bot_id=BOT_ID, is_enterprise_install=False)

    def _m_usergroups_list(self, p: dict) -> Reply:
        if not self.usergroups_scope:
            return Reply(200, {"ok": False, "error": "missing_scope", "needed": "usergroups:read",
                               "provided": "chat:write"})
        return _ok(usergroups=[{"id": gid, "team_id": TEAM_ID, "handle": handle, "name": handle.title(),
                                "is_usergroup": True, "date_delete": 0} for handle, gid in self.usergroups.items()])

    def _m_conversations_info(self, p: dict) -> Reply:
        cid = self._resolve(p.get("channel"))
        if cid is None:
            return _err("channel_not_found")
        return _ok(channel={"id": cid, "name": self.channels[cid], "is_channel": True,
                            "is_member": True, "is_archived": False})

    def _m_chat_postMessage(self, p: dict) -> Reply:
        cid = self._resolve(p.get("channel"))
        if cid is None:
            return _err("channel_not_found")
        bad = _check_content(p)
        if bad:
            return _err(bad)
        msg = SlackMessage(cid, self._next_ts(), p.get("text"), p.get("blocks"),
                           p.get("thread_ts"), p.get("attachments"), raw=p)
        with self._lock:
            self.messages.append(msg)
        return _ok(channel=cid, ts=msg.ts, message=_as_json(msg))

    def _m_chat_update(self, p: dict) -> Reply:
        cid = self._resolve(p.get("channel"))
        if cid is None:
            return _err("channel_not_found")
        msg = self.message(p.get("ts", ""))
        if msg is None or msg.channel != cid:
            return _err("message_not_found")
        bad = _check_content(p)
        if bad:
            return _err(bad)
        change = {"channel": cid, "ts": msg.ts, "text": p.get("text"), "blocks": p.get("blocks")}
        with self._lock:
            msg.text = p.get("text", msg.text)
            msg.blocks = p.get("blocks", msg.blocks)
            msg.updates.append(change)
            self.updates.append(change)
        return _ok(channel=cid, ts=msg.ts, text=msg.text, message=_as_json(msg))

    # -- webhook ----------------------------------------------------------
    def _webhook(self, req: Recorded) -> Reply:
        if req.path != WEBHOOK_PATH:
            return Reply(404, "no_service")
        if self.reject_auth:
            return Reply(403, "invalid_token")
        if not isinstance(req.body, dict):
            return Reply(400, "invalid_payload")
        if not (req.body.get("text") or req.body.get("blocks") or req.body.get("attachments")):
            return Reply(400, "no_text")
        b = req.body
        msg = SlackMessage(self.webhook_channel, self._next_ts(), b.get("text"), b.get("blocks"),
                           b.get("thread_ts"), b.get("attachments"), via="webhook", raw=b)
        with self._lock:
            self.messages.append(msg)
        return Reply(200, "ok")

    # -- internals --------------------------------------------------------
    def _resolve(self, channel: str | None) -> str | None:
        if not channel:
            return None
        channel = channel.lstrip("#")
        with self._lock:
            if channel in self.channels:
                return channel
            for cid, name in self.channels.items():
                if name == channel:
                    return cid
            if _ID_SHAPED.match(channel):
                self.channels[channel] = channel.lower()
                return channel
        return None

    def _next_ts(self) -> str:
        with self._lock:
            self._seq += 1
            micros = self._seq * 100
        return f"{1700000000 + micros // 1_000_000}.{micros % 1_000_000:06d}"


def _check_content(p: dict) -> str | None:
    if not any(p.get(k) for k in ("text", "blocks", "attachments", "markdown_text")):
        return "no_text"
    if len(p.get("text") or "") > 40000:
        return "msg_too_long"
    if isinstance(p.get("blocks"), str) or len(p.get("blocks") or []) > 50:
        return "invalid_blocks"
    return None


def _as_json(m: SlackMessage) -> dict[str, Any]:
    out = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "team": TEAM_ID,
           "ts": m.ts, "text": m.text or ""}
    if m.blocks:
        out["blocks"] = m.blocks
    if m.thread_ts:
        out["thread_ts"] = m.thread_ts
    return out


def _ok(**data: Any) -> Reply:
    return Reply(200, {"ok": True, **data})


def _err(error: str) -> Reply:
    return Reply(200, {"ok": False, "error": error})
