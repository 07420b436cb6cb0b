"""Shared machinery for the loopback fake servers (Slack, Notion, generic hook).

A ``FakeServer`` is a ``ThreadingHTTPServer`` bound to 127.0.0.1 on a random
port, served from a daemon thread. It starts in ``__init__``; use it as a
context manager or call ``stop()``.

Common API of every fake:

* ``fake.url``                     base URL, no trailing slash (``http://127.0.0.1:PORT``)
* ``fake.requests``                list of :class:`Recorded`, every request, faulted ones too
* ``fake.calls(route)``            the recorded requests for one route
* ``fake.fail_next(route, status=500, *, retry_after=None, body=None,
  headers=None, times=1, **extra)`` script the next ``times`` answers of a route
* ``fake.hang_next(route, seconds=None, times=1)`` next request(s) get no answer for
  ``seconds`` (None = until ``stop()``), then are served normally; ``stop()``
  never waits for a hanging request (the connection is just dropped).
* ``fake.reject_auth = True``      every request fails authentication
* ``fake.pending_faults()``        number of scripted faults not consumed yet
* ``fake.errors``                  exceptions raised inside the fake (should stay empty)

Routes are names chosen by each fake (``"chat.postMessage"``, ``"pages.create"``,
``"/hook"`` ...); ``"*"`` matches any route. Route-specific faults win over ``"*"``.
"""
from __future__ import annotations

import json
import math
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    """One request as received. ``headers`` keys are lower-cased.

    ``body`` is the parsed JSON body, or a dict for form-urlencoded bodies
    (first value per key), else None; ``raw`` is always the raw bytes.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    raw: bytes
    route: str = ""

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass
class Reply:
    """An answer. dict/list bodies are sent as JSON, str as text/plain, bytes as is."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    """A scripted answer. ``status=None`` with ``hang`` set means "hang, then serve normally"."""

    status: int | None = 500
    retry_after: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    hang: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class FakeServer:
    """Base class; subclasses implement ``route_of``, ``handle`` and ``render_fault``."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.errors: list[BaseException] = []
        self.reject_auth = False
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    # -- subclass hooks -------------------------------------------------
    def route_of(self, method: str, path: str) -> str:
        return path

    def handle(self, req: Recorded) -> Reply:  # pragma: no cover - abstract
        raise NotImplementedError

    def render_fault(self, fault: Fault, req: Recorded) -> Reply:
        return Reply(fault.status or 500, fault.body if fault.body is not None else "")

    # -- public API -----------------------------------------------------
    def fail_next(self, route: str, status: int = 500, *, retry_after: int | None = None,
                  body: Any = None, headers: dict[str, str] | None = None, times: int = 1,
                  **extra: Any) -> None:
        """Answer the next ``times`` requests to ``route`` with an error.

        ``retry_after`` sets an integer ``Retry-After`` header; ``body`` replaces
        the fake's realistic default error body; ``extra`` is fake-specific
        (Slack: ``ok_false=``/``error=``; Notion: ``code=``/``message=``).
        """
        for _ in range(times):
            self._push(route, Fault(status, retry_after, body, dict(headers or {}), None, extra))

    def hang_next(self, route: str, seconds: float | None = None, times: int = 1) -> None:
        """Do not answer the next ``times`` requests to ``route`` for ``seconds``
        (None: until ``stop()``); afterwards, if still running, serve them normally."""
        for _ in range(times):
            self._push(route, Fault(None, hang=math.inf if seconds is None else seconds))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending_faults(self) -> int:
        with self._lock:
            return sum(len(q) for q in self._faults.values())

    def calls(self, route: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if route in ("*", r.route)]

    def stop(self) -> None:
        """Stop serving; idempotent, never blocks on hanging requests."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals ------------------------------------------------------
    def _push(self, route: str, fault: Fault) -> None:
        with self._lock:
            self._faults[route].append(fault)

    def _pop_fault(self, route: str) -> Fault | None:
        with self._lock:
            for key in (route, "*"):
                if self._faults.get(key):
                    return self._faults[key].popleft()
        return None

    def _dispatch(self, req: Recorded) -> Reply | None:
        req.route = self.route_of(req.method, req.path)
        with self._lock:
            self.requests.append(req)
        fault = self._pop_fault(req.route)
        if fault is not None and fault.hang is not None:
            self._stopping.wait(None if math.isinf(fault.hang) else fault.hang)
            if self._stopping.is_set():
                return None
        try:
            if fault is not None and fault.status is not None:
                reply = self.render_fault(fault, req)
                if fault.retry_after is not None:
                    reply.headers["Retry-After"] = str(int(fault.retry_after))
                reply.headers.update(fault.headers)
                return reply
            return self.handle(req)
        except Exception as exc:  # a bug in the fake: make it visible
            self.errors.append(exc)
            return Reply(599, f"fake server error: {exc!r}")


def _parse_body(raw: bytes, ctype: str) -> Any:
    if not raw:
        return None
    if "x-www-form-urlencoded" in ctype:
        return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _make_handler(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection: nothing lingers

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            req = Recorded(
                method=self.command,
                path=parts.path,
                query={k: v[0] for k, v in parse_qs(parts.query).items()},
                headers=headers,
                body=_parse_body(raw, headers.get("content-type", "")),
                raw=raw,
            )
            reply = fake._dispatch(req)
            if reply is None:
                self.close_connection = True
                return
            self._send(reply)

        def _send(self, reply: Reply) -> None:
            body, ctype = reply.body, "text/plain; charset=utf-8"
            if isinstance(body, (dict, list)):
                body, ctype = json.dumps(body).encode(), "application/json; charset=utf-8"
            elif isinstance(body, str):
                body = body.encode()
            elif body is None:
                body = b""
            try:
                self.send_response(reply.status)
                headers = {"Content-Type": ctype, **reply.headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # client gave up (timeout) - fine
                pass

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
