"""A loopback server answering per path: usage endpoints for quota checks, health endpoints for probes.

    with UsageFake() as fake:
        fake.set("/scraper", {"usage": {"used": 850, "limit": 1000}})
        fake.set("/ping", {}, headers={"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "500"})
        fake.set("/broken", "<html>oops</html>", status=502)
        fake.set("/slow", {"used": 1, "limit": 2}, delay=0.2)   # every answer takes 200 ms
        fake.url + "/scraper"

Unknown paths answer 404. ``fail_next`` / ``hang_next`` from FakeServer work per path.
"""
from __future__ import annotations

import time
from typing import Any

from .base import FakeServer, Recorded, Reply


class UsageFake(FakeServer):
    def __init__(self) -> None:
        self.routes: dict[str, tuple[Reply, float]] = {}
        super().__init__()
        self._httpd.socket.listen(256)  # socketserver's backlog of 5 drops bursts of 50 connects (1 s SYN retries)

    def set(self, path: str, body: Any, *, status: int = 200, headers: dict[str, str] | None = None,
            delay: float = 0.0) -> str:
        with self._lock:
            self.routes[path] = (Reply(status, body, dict(headers or {})), delay)
        return self.url + path

    def handle(self, req: Recorded) -> Reply:
        with self._lock:
            found = self.routes.get(req.path)
        if found is None:
            return Reply(404, {"error": "not found"})
        reply, delay = found
        if delay:
            time.sleep(delay)
        return Reply(reply.status, reply.body, dict(reply.headers))
