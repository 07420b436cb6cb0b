"""SendGrid v3 Mail Send on loopback: `POST /v3/mail/send`, Bearer key, 202 with an empty body.

* ``fake.received``     accepted requests (:class:`Recorded`, ``.body`` the parsed JSON)
* ``fake.key``          the API key it accepts (else 401 with SendGrid's error body)
* ``fake.fail_next("/v3/mail/send", 429, retry_after=1)``  faults (SendGrid's ``{"errors": [...]}`` bodies)

The body is checked as SendGrid does: personalizations with at least one ``to``, ``from.email``,
a subject, content values that are non-empty; a wrong shape is a 400 naming the field.
"""
from __future__ import annotations

from http import HTTPStatus

from .base import FakeServer, Fault, Recorded, Reply


def _errors(message: str, field: str | None = None) -> dict:
    return {"errors": [{"message": message, "field": field, "help": None}]}


class SendGridFake(FakeServer):
    def __init__(self, key: str = "SG.test-key") -> None:
        self.key = key
        self.received: list[Recorded] = []
        super().__init__()

    def render_fault(self, fault: Fault, req: Recorded) -> Reply:
        status = fault.status or 500
        return Reply(status, fault.body if fault.body is not None else _errors(HTTPStatus(status).phrase.lower()))

    def handle(self, req: Recorded) -> Reply:
        if req.method != "POST" or req.path != "/v3/mail/send":
            return Reply(404, _errors("Not Found"))
        if self.reject_auth or req.header("authorization") != f"Bearer {self.key}":
            return Reply(401, _errors("The provided authorization grant is invalid, expired, or revoked"))
        if "application/json" not in (req.header("content-type") or ""):
            return Reply(415, _errors("Content-Type should be application/json."))
        body = req.body
        if not isinstance(body, dict):
            return Reply(400, _errors("Bad Request"))
        people = body.get("personalizations")
        if not people or not all(p.get("to") and all("@" in t.get("email", "") for t in p["to"]) for p in people):
            return Reply(400, _errors("The personalizations field is required and must have at least one "
                                      "personalization with a to email.", "personalizations"))
        if "@" not in (body.get("from") or {}).get("email", ""):
            return Reply(400, _errors("The from object must be provided for every email send.", "from"))
        if not body.get("subject"):
            return Reply(400, _errors("The subject is required.", "subject"))
        content = body.get("content") or []
        if not content or any(not c.get("value") or not c.get("type") for c in content):
            return Reply(400, _errors("The content value must be a string at least one character in length.",
                                      "content.0.value"))
        if content[0]["type"] != "text/plain" and any(c["type"] == "text/plain" for c in content):
            return Reply(400, _errors("If present, text/plain must be first.", "content.0.type"))
        with self._lock:
            self.received.append(req)
        return Reply(202, b"", {"X-Message-Id": f"sg-{len(self.received)}"})
