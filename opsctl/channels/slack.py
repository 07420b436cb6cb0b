"""`slack`: the official slack-sdk; Web API with SLACK_BOT_TOKEN + SLACK_CHANNEL, or SLACK_WEBHOOK_URL.

A first notice is a new message whose `ts` is remembered. A later status change, escalation or
reminder updates that message in place (`chat.update`, so the channel shows the current state)
and then replies in its thread; the reply goes last because it is the one step that is not
idempotent when retried. An incoming webhook cannot edit or thread: it posts a new message.
"""

from __future__ import annotations

from .base import Channel, Outgoing, Permanent, Sent, Setting, Transient

AUTH_ERRORS = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
               "no_permission", "missing_scope", "not_allowed_token_type", "ekm_access_denied"}
CHANNEL_ERRORS = {"channel_not_found", "not_in_channel", "is_archived", "restricted_action"}
TRANSIENT_ERRORS = {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable",
                    "request_timeout", "team_added_to_org"}
THREADED = ("update", "escalation", "reminder", "decision")


class SlackChannel(Channel):
    name = "slack"
    client_library = "slack_sdk"
    description = "Slack: chat.postMessage with Block Kit (bot token) or an incoming webhook"
    settings = {
        "token": Setting("SLACK_BOT_TOKEN", secret=True),
        "channel": Setting("SLACK_CHANNEL"),
        "webhook_url": Setting("SLACK_WEBHOOK_URL", secret=True),
        "api_url": Setting("SLACK_API_URL", default="https://slack.com/api/"),
    }
    requires = (("token", "channel"), ("webhook_url",))

    def send(self, out: Outgoing, *, timeout: float) -> Sent:
        if not (self.values.get("token") and self.values.get("channel")):
            return self._webhook(out, timeout)
        client = self._client(timeout)
        mention, learned = self._mention(out, client)
        sent = self._send(client, out, mention)
        if learned:
            sent.cache = {**(sent.cache or {}), **learned}
        return sent

    def _send(self, client, out: Outgoing, mention: str | None) -> Sent:
        from ..messages import slack_blocks

        note = out.notification
        if out.purpose in THREADED and out.ref:
            ref = out.ref.get("data") or {}
            where, ts = ref.get("channel") or self.values["channel"], out.ref["remote_id"]
            text, blocks = slack_blocks.render(note)
            try:
                self._call(client.chat_update, channel=where, ts=ts, text=text, blocks=blocks)
            except Permanent as exc:
                if "message_not_found" not in exc.message:
                    raise
                return self._post(client, out, mention)  # the original is gone: start again
            text, blocks = slack_blocks.reply(note, out.record, out.purpose, mention=mention)
            reply = self._call(client.chat_postMessage, channel=where, thread_ts=ts, text=text, blocks=blocks,
                               reply_broadcast=out.purpose == "escalation")
            return Sent(remote_id=reply.get("ts"), note="updated and replied in thread")
        return self._post(client, out, mention)

    def _post(self, client, out: Outgoing, mention: str | None) -> Sent:
        from ..messages import slack_blocks

        text, blocks = slack_blocks.render(out.notification, mention=mention)
        response = self._call(client.chat_postMessage, channel=out.notification.slack_channel or self.values["channel"],
                              text=text, blocks=blocks,
                              unfurl_links=False, unfurl_media=False)
        ts, where = response.get("ts"), response.get("channel")
        remember = out.subject_id is not None and out.purpose != "test"
        return Sent(remote_id=ts, ref={"channel": where, "ts": ts} if remember else None)

    def _mention(self, out: Outgoing, client) -> tuple[str | None, dict]:
        from .slack_mentions import resolve

        def list_groups() -> dict[str, str] | None:
            from slack_sdk.errors import SlackApiError

            try:
                groups = client.usergroups_list().get("usergroups") or []
            except SlackApiError as exc:
                if isinstance(self._api_error(exc), Transient):
                    return None  # ask again next time
                return {}  # missing_scope and friends: keep the text
            except OSError:
                return None
            return {g.get("handle") or "": g["id"] for g in groups}

        return resolve(out.mention, out.cache, list_groups if client is not None else None)

    def _client(self, timeout: float):
        from slack_sdk.web import WebClient

        base = self.values["api_url"]
        return WebClient(token=self.values["token"], base_url=base if base.endswith("/") else base + "/",
                         timeout=max(1, int(round(timeout))), retry_handlers=[])

    def _call(self, method, **kwargs):
        from slack_sdk.errors import SlackApiError

        try:
            return method(**kwargs)
        except SlackApiError as exc:
            raise self._api_error(exc) from None

    def _api_error(self, exc) -> Exception:
        from .http import retry_after

        response = exc.response
        status = getattr(response, "status_code", 200)
        error = (response.get("error") if hasattr(response, "get") else None) or ""
        if status == 429 or error in ("ratelimited", "rate_limited"):
            return Transient(f"Slack rate-limited opsctl ({error or 'HTTP 429'})",
                             retry_after=retry_after((response.headers or {}).get("Retry-After")))
        if status < 500 and (error.startswith("Received a response in a non-JSON format") or not error):
            return Transient(f"Slack sent an answer opsctl cannot read (HTTP {status}); trying again later")
        error = error or f"HTTP {status}"
        if status >= 500 or error in TRANSIENT_ERRORS:
            return Transient(f"Slack is unavailable (HTTP {status}, {error[:80]})")
        if error in AUTH_ERRORS:
            return Permanent(f"Slack rejected {self.var('token')} ({error}); create a new bot token and set it")
        if error in CHANNEL_ERRORS:
            return Permanent(f"Slack cannot post to {self.var('channel')}={self.values.get('channel')} ({error}); "
                             "invite the bot to the channel or fix the variable")
        return Permanent(f"Slack refused the message ({error})")

    def _webhook(self, out: Outgoing, timeout: float) -> Sent:
        from slack_sdk.webhook import WebhookClient

        from ..messages import slack_blocks
        from .http import retry_after

        mention, _ = self._mention(out, None)
        if out.purpose in THREADED:
            text, blocks = slack_blocks.render(out.notification, mention=mention,
                                               status_line=slack_blocks.status_line(out.notification, out.record,
                                                                                    out.purpose), buttons=False)
        else:
            text, blocks = slack_blocks.render(out.notification, mention=mention, buttons=False)
        hook = WebhookClient(self.values["webhook_url"], timeout=max(1, int(round(timeout))), retry_handlers=[])
        response = hook.send(text=text, blocks=blocks, unfurl_links=False, unfurl_media=False)
        status, body = response.status_code, (response.body or "").strip()[:80]
        if status == 200:
            return Sent(note="posted by incoming webhook")
        if status == 429 or status >= 500:
            raise Transient(f"Slack webhook answered HTTP {status} ({body})",
                            retry_after=retry_after((response.headers or {}).get("Retry-After")))
        if status in (403, 404, 410):
            raise Permanent(f"Slack rejected {self.var('webhook_url')} ({body or status}); "
                            "create a new incoming webhook and set it")
        raise Permanent(f"Slack webhook refused the message (HTTP {status}, {body})")

    def test(self, *, timeout: float) -> str:
        if self.values.get("token") and self.values.get("channel"):
            client = self._client(timeout)
            who = self._call(client.auth_test)
            sent = super().test(timeout=timeout)
            from ..slack.check import app_token_line  # the Slack app (Socket Mode): buttons, slash command

            return f"{sent} to {self.values['channel']} as {who.get('user')}; {app_token_line(self, Permanent)}"
        return super().test(timeout=timeout)
