"""Generic JSON webhook receiver (opsctl's notify_user URL hook, generic webhooks).

Accepts any method on any path; ``fake.hook_url`` (``fake.url + "/hook"``) is a
convenient target. The route of a request is its path (e.g. ``"/hook"``), so
``fake.fail_next("/hook", status=503)`` or ``fake.fail_next("*", status=500)``.

* ``fake.received``       requests that were accepted (2xx), in order (:class:`Recorded`)
* ``fake.bodies``         their parsed JSON bodies
* ``fake.requests``       every request, including faulted / rejected ones
* ``fake.token``          if set, ``Authorization: Bearer <token>`` is required (else 401)
* ``fake.reject_auth``    answer 401 to everything
* ``fake.respond(status=200, body={"ok": True}, headers=None)``  change the normal answer

Fault bodies default to ``{"error": "<HTTP reason phrase>"}``; ``retry_after=N``
adds ``Retry-After: N``.
"""
from __future__ import annotations

from http import HTTPStatus
from typing import Any

from .base import FakeServer, Fault, Recorded, Reply


class HookFake(FakeServer):
    """Records JSON posts; see module docstring."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.received: list[Recorded] = []
        self._reply = Reply(200, {"ok": True})
        super().__init__()
        self.hook_url = self.url + "/hook"

    @property
    def bodies(self) -> list[Any]:
        return [r.body for r in self.received]

    def respond(self, status: int = 200, body: Any = None,
                headers: dict[str, str] | None = None) -> None:
        """Set the answer given to requests that are not faulted."""
        self._reply = Reply(status, {"ok": True} if body is None else body, dict(headers or {}))

    def render_fault(self, fault: Fault, req: Recorded) -> Reply:
        status = fault.status or 500
        if fault.body is not None:
            return Reply(status, fault.body)
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "error"
        return Reply(status, {"error": phrase})

    def handle(self, req: Recorded) -> Reply:
        wanted = f"Bearer {self.token}" if self.token else None
        if self.reject_auth or (wanted and req.header("authorization") != wanted):
            return Reply(401, {"error": "unauthorized"})
        reply = Reply(self._reply.status, self._reply.body, dict(self._reply.headers))
        if 200 <= reply.status < 300:
            with self._lock:
                self.received.append(req)
        return reply
