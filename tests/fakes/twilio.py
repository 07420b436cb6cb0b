"""Twilio's Messages API on loopback (2010-04-01), as the real one answers.

* ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` form-encoded ``To``, ``From``, ``Body``,
  HTTP basic auth ``AccountSid:AuthToken`` → 201 with the message resource (``sid`` ``SM…``,
  ``status: queued``).
* ``GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json`` → the resource with its current status.

* ``fake.sent``                       the accepted message resources, in order
* ``fake.set_status(sid, "failed", error_code=30003)``  what a later GET answers
* ``fake.fail_next("Messages.json", 429)``   faults, with Twilio's JSON error body
"""
from __future__ import annotations

import base64
import re

from .base import FakeServer, Fault, Recorded, Reply

MORE = "https://www.twilio.com/docs/errors/"


def _error(status: int, code: int, message: str) -> dict:
    return {"code": code, "message": message, "more_info": f"{MORE}{code}", "status": status}


class TwilioFake(FakeServer):
    def __init__(self, sid: str = "AC" + "0" * 32, token: str = "twilio-token") -> None:
        self.sid, self.token = sid, token
        self.sent: list[dict] = []
        self._by_sid: dict[str, dict] = {}
        super().__init__()

    def route_of(self, method: str, path: str) -> str:
        return "Messages.json" if path.endswith("/Messages.json") else "Message" if "/Messages/" in path else path

    def render_fault(self, fault: Fault, req: Recorded) -> Reply:
        status = fault.status or 500
        if fault.body is not None:
            return Reply(status, fault.body)
        code = {429: 20429, 401: 20003}.get(status, 20500 if status >= 500 else 21211)
        text = {429: "Too Many Requests", 401: "Authenticate"}.get(status, "Internal Server Error"
                                                                       if status >= 500 else "Invalid 'To' Phone Number")
        return Reply(status, _error(status, code, text))

    def set_status(self, sid: str, status: str, *, error_code: int | None = None) -> None:
        with self._lock:
            self._by_sid[sid].update(status=status, error_code=error_code,
                                     error_message="Unreachable destination handset" if error_code else None)

    def _authorized(self, req: Recorded) -> bool:
        wanted = "Basic " + base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()
        return not self.reject_auth and req.header("authorization") == wanted

    def handle(self, req: Recorded) -> Reply:
        match = re.fullmatch(r"/2010-04-01/Accounts/([^/]+)/Messages(?:/([^/]+))?\.json", req.path)
        if not match:
            return Reply(404, _error(404, 20404, "The requested resource was not found"))
        if not self._authorized(req) or match.group(1) != self.sid:
            return Reply(401, _error(401, 20003, "Authenticate"))
        if match.group(2):
            if req.method != "GET":
                return Reply(405, _error(405, 20004, "Method not allowed"))
            with self._lock:
                found = self._by_sid.get(match.group(2))
            return Reply(200, dict(found)) if found else Reply(404, _error(404, 20404, "The requested resource "
                                                                                     "was not found"))
        if req.method != "POST":
            return Reply(405, _error(405, 20004, "Method not allowed"))
        if "x-www-form-urlencoded" not in (req.header("content-type") or ""):
            return Reply(400, _error(400, 21211, "Invalid 'To' Phone Number"))
        form = req.body or {}
        if not form.get("To"):
            return Reply(400, _error(400, 21604, "A 'To' phone number is required."))
        if not form.get("From"):
            return Reply(400, _error(400, 21603, "A 'From' phone number is required."))
        if not form.get("Body"):
            return Reply(400, _error(400, 21602, "Message body is required."))
        if len(form["Body"]) > 1600:
            return Reply(400, _error(400, 21617, "The concatenated message body exceeds the 1600 character limit."))
        if not re.fullmatch(r"\+[1-9]\d{6,14}", form["To"]):
            return Reply(400, _error(400, 21211, f"The 'To' number {form['To']} is not a valid phone number."))
        with self._lock:
            sid = f"SM{len(self.sent) + 1:032x}"
            resource = {"sid": sid, "account_sid": self.sid, "to": form["To"], "from": form["From"],
                        "body": form["Body"], "status": "queued", "num_segments": str(len(form["Body"]) // 153 + 1),
                        "direction": "outbound-api", "error_code": None, "error_message": None,
                        "uri": f"/2010-04-01/Accounts/{self.sid}/Messages/{sid}.json"}
            self.sent.append(resource)
            self._by_sid[sid] = dict(resource)
        return Reply(201, resource)
