"""A keep-alive HTTP/1.1 endpoint on 127.0.0.1 for the delivery benchmarks, and a ledger of due escalations.

The endpoint (asyncio, in a thread of the benchmark process) answers every POST `200 {"ok":true}`
and counts the `X-Opsctl-Delivery` ids it got, so a run can check that each row arrived exactly
once. It is deliberately cheap, so the client's own cost shows in the ratios.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections import Counter
from pathlib import Path

REPLY = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"


class Endpoint:
    def __init__(self) -> None:
        self.received: Counter = Counter()  # delivery id (or "-") -> times
        self.requests = 0
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait()
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=256))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self._loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length, delivery, close = 0, "-", False
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"x-opsctl-delivery":
                        delivery = value.strip().decode()
                    elif name == b"connection" and value.strip().lower() == b"close":
                        close = True
                if length:
                    await reader.readexactly(length)
                self.requests += 1
                self.received[delivery] += 1
                writer.write(REPLY if not close else REPLY.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1))
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def reset(self) -> None:
        self.received, self.requests, self.connections = Counter(), 0, 0

    def check(self, expected: int) -> str | None:
        """None when `expected` distinct deliveries each arrived once, else what went wrong."""
        dups = sum(n - 1 for n in self.received.values() if n > 1)
        if len(self.received) != expected or dups:
            return f"expected {expected} deliveries once each, got {len(self.received)} distinct, {dups} duplicates"
        return None


NOW = "2026-06-01T12:00:00.000000Z"
NOW_EPOCH = 1780315200  # 2026-06-01T12:00:00Z

DUE_SQL = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)
INSERT INTO errors (id, fingerprint, type, service, project, impact, status, details, options, occurrences,
                    first_seen, last_seen, opened_at, notified_at, escalations, next_escalation_at, updated_at)
SELECT i, printf('due-%d', i), 'api_limit', printf('Service %d', i % 40), printf('Project %d', i % 12), 'blocking',
       'escalated', 'Free tier limit reached (1000/1000 requests)', '["New API key","Upgrade account"]', 1,
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', :now - 600 - i, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', :now - 600 - i, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', :now - 600 - i, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', :now - 590 - i, 'unixepoch'), 0,
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', :now - 30 - i % 60, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', :now - 590 - i, 'unixepoch')
FROM n
"""


def due_ledger(path: Path, count: int) -> None:
    """`count` escalated blocking errors whose first escalation is due at NOW (schema from opsctl's migrations)."""
    from opsctl.ledger import connect

    connect(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute(DUE_SQL, {"count": count, "now": NOW_EPOCH})
    conn.execute("INSERT INTO events (subject, subject_id, action, from_status, to_status, actor, at)"
                 " SELECT 'error', id, 'status', 'open', 'escalated', 'bench', notified_at FROM errors")
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
