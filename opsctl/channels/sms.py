"""`sms`: Twilio's REST API, one short text per phone; delivery status polled by `opsctl tick`.

    TWILIO_ACCOUNT_SID=AC...  TWILIO_AUTH_TOKEN=...  TWILIO_FROM=+15550123
    TWILIO_API_URL=https://api.twilio.com   # default

A text goes to the phones of the people a notice is addressed to (escalation chains), else to
`channels.sms.to` / `ALERT_SMS_TO`. By default only blocking errors are texted (`impacts:` in
`channels.sms` widens that). The message SIDs are the delivery's remote id; `tick` asks Twilio
for their status and turns `failed` / `undelivered` into a visible failure.
"""

from __future__ import annotations

import base64
import json

from .base import Channel, Outgoing, Permanent, Sent, Setting, Transient
from .http import USER_AGENT, send

LIMIT = 320
FINAL = ("delivered", "failed", "undelivered", "canceled")
FAILED = ("failed", "undelivered")


def text(note) -> str:
    """The one short message: priority/impact, service, id, how to answer."""
    from ..messages.email import priority

    level = priority(note) or note.impact or ""
    answer = (f"Reply via Slack or run: {note.answer_hint}" if note.answer_hint else "")
    what = note.title if note.kind not in ("error", "update", "escalation", "reminder") else \
        f"{note.type or 'alert'} on {note.service}"
    head = f"[{level}] " if level else ""
    status = f" ({note.status})" if note.kind == "update" and note.status else ""
    body = f"{head}{what}{status} — {note.id}. "
    room = LIMIT - len(body) - len(answer)
    details = " ".join((note.details or "").split())
    if details and room > 20:
        body += (details if len(details) <= room - 2 else details[:room - 3] + "…") + " "
    from ..scrub import scrub

    return scrub(body + answer)[:LIMIT]


class SmsChannel(Channel):
    name = "sms"
    description = "SMS through Twilio (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM)"
    settings = {
        "sid": Setting("TWILIO_ACCOUNT_SID"),
        "token": Setting("TWILIO_AUTH_TOKEN", secret=True),
        "sender": Setting("TWILIO_FROM"),
        "api_url": Setting("TWILIO_API_URL", default="https://api.twilio.com"),
        "to": Setting("ALERT_SMS_TO"),
    }
    requires = (("sid", "token", "sender"),)
    subjects = ("error",)

    @classmethod
    def from_config(cls, channel: str, options: dict, env) -> "SmsChannel":
        # texts are for blocking errors unless `channels.<name>.impacts` says otherwise (routing applies it)
        return super().from_config(channel, {"impacts": ["blocking"], **options}, env)

    def send(self, out: Outgoing, *, timeout: float) -> Sent:
        note = out.notification
        phones = (getattr(note, "recipients", None) or {}).get("sms") or \
            [p.strip() for p in (self.values.get("to") or "").split(",") if p.strip()]
        if not phones:
            return Sent(note="no phone numbers (people in opsctl.yaml, or ALERT_SMS_TO)")
        body = text(note)
        sids = [self._post(phone, body, timeout) for phone in dict.fromkeys(phones)]
        return Sent(remote_id=",".join(sids), note=f"texted {len(sids)} phone(s)")

    def _url(self, tail: str) -> str:
        return f"{self.values['api_url'].rstrip('/')}/2010-04-01/Accounts/{self.values['sid']}/{tail}"

    def _request(self, url: str, *, form: dict | None, timeout: float) -> dict:
        import urllib.parse
        import urllib.request

        auth = base64.b64encode(f"{self.values['sid']}:{self.values['token']}".encode()).decode()
        headers = {"Authorization": f"Basic {auth}", "User-Agent": USER_AGENT, "Accept": "application/json"}
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(url, data=data, headers=headers, method="POST" if form is not None else "GET")
        what = f"Twilio ({self.var('sid')})"
        _, answer = send(request, what=what, timeout=timeout, rejected="the message",
                         auth_hint="TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN", detail=_twilio_error)
        try:
            return json.loads(answer or b"{}")
        except ValueError:  # a truncated or garbled answer: try again later
            raise Transient(f"{what} answered with a body that is not JSON") from None

    def _post(self, phone: str, body: str, timeout: float) -> str:
        answer = self._request(self._url("Messages.json"), form={"To": phone, "From": self.values["sender"],
                                                                  "Body": body}, timeout=timeout)
        if not answer.get("sid"):
            raise Permanent("Twilio accepted the message but returned no sid")
        return answer["sid"]

    def status(self, sid: str, *, timeout: float) -> dict:
        """Twilio's view of one message: {"status", "error_code", "error_message"}."""
        answer = self._request(self._url(f"Messages/{sid}.json"), form=None, timeout=timeout)
        return {"status": answer.get("status"), "error_code": answer.get("error_code"),
                "error_message": answer.get("error_message")}


def _twilio_error(exc) -> str:
    try:
        data = json.loads(exc.read(4000) or b"{}")
        parts = [str(data[k]) for k in ("code", "message") if data.get(k)]
        return f": {' '.join(parts)[:200]}" if parts else ""
    except Exception:  # noqa: BLE001 - the body is a courtesy
        return ""
