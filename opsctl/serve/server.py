"""The HTTP server: the standard library's threading server, made robust.

Why the standard library: it starts in a fraction of the time of an ASGI stack (see
bench/bench_serve.py) and needs no dependency. What it lacks is added here: a timeout on every
socket, a bounded number of threads, a cap on request bodies, JSON errors, a graceful SIGTERM
and a one-line access log on stderr.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .. import __version__
from . import auth, routes

MAX_BODY_BYTES = 1024 * 1024
SOCKET_TIMEOUT_SECONDS = 10
MAX_THREADS = 32


class App:
    """What every request shares: settings, the token, when the server started."""

    def __init__(self, settings, *, host: str, port: int, token: str | None):
        self.settings = settings
        self.host = host
        self.port = port
        self.token = token
        self.reads_need_token = not auth.is_loopback(host)
        self.started = time.monotonic()

    def context(self, request: routes.Request):
        """A fresh context (and ledger connection) for one request, acting as the HTTP client."""
        from ..context import Context

        return Context(self.settings, actor=f"http:{request.client}")

    def uptime_seconds(self) -> float:
        return time.monotonic() - self.started


class Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() waits for the requests in flight
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address, app: App, max_threads: int = MAX_THREADS):
        self.app = app
        self.slots = threading.BoundedSemaphore(max_threads)
        super().__init__(address, Handler)

    def process_request(self, request, client_address):
        self.slots.acquire()  # at most max_threads at once; the rest wait in the listen backlog
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


class Handler(BaseHTTPRequestHandler):
    server_version = f"opsctl/{__version__}"
    timeout = SOCKET_TIMEOUT_SECONDS  # on the client's socket: a slow or silent client is dropped
    protocol_version = "HTTP/1.0"  # one request per connection: an idle client never holds a thread

    def do_GET(self):
        self._dispatch("GET")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def _dispatch(self, method: str) -> None:
        self._started = time.perf_counter()
        try:
            response = self._respond(method)
        except Exception as exc:  # noqa: BLE001 - a request never takes the server down
            from ..errors import OpsctlError

            if isinstance(exc, OpsctlError):
                response = routes.failure(503 if exc.exit_code == 1 else 400, exc.message,
                                          _code(exc), int(exc.exit_code))
            else:
                response = routes.failure(500, f"unexpected {type(exc).__name__}: {exc}", "internal_error", 1)
        self._send(response, head=method == "HEAD")

    def _respond(self, method: str) -> routes.Response:
        app: App = self.server.app
        parts = urlsplit(self.path)
        route, params, other_method = routes.find(method, parts.path)
        if route is None:
            if other_method:
                return routes.failure(405, f"{method} is not allowed on {parts.path}", "method_not_allowed")
            return routes.failure(404, f"no such endpoint {parts.path}; see /admin/operations and /api/status",
                                  "not_found")
        body = self._read_body()
        if isinstance(body, routes.Response):
            return body
        request = routes.Request(method, parts.path, parse_qs(parts.query),
                                 {k.lower(): v for k, v in self.headers.items()}, body, self.client_address[0])
        if route.write or app.reads_need_token:
            candidate = auth.presented(request.headers.get("authorization")) or request.form().get("token")
            if not auth.allowed(app.token, candidate):
                return _unauthorized(app, route)
        return route.handler(app, request, **params)

    def _read_body(self) -> bytes | routes.Response:
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return routes.failure(411, "send the body with a Content-Length", "length_required")
        if not length:
            return b""
        try:
            size = int(length)
        except ValueError:
            return routes.failure(400, f"invalid Content-Length {length!r}", "invalid_input")
        if size < 0:
            return routes.failure(400, f"invalid Content-Length {length!r}", "invalid_input")
        if size > MAX_BODY_BYTES:
            self.close_connection = True
            _discard(self.rfile, size)  # so the client, still sending, reads our answer
            return routes.failure(413, f"the request body is {size} bytes; the limit is {MAX_BODY_BYTES}",
                                  "payload_too_large")
        return self.rfile.read(size)

    def _send(self, response: routes.Response, *, head: bool) -> None:
        self._status = response.status
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            if "Cache-Control" not in response.headers:
                self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if not head:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True

    def send_error(self, code, message=None, explain=None):
        """Errors raised by the standard library's parsing (bad request line, too long headers): JSON too."""
        self._started = getattr(self, "_started", time.perf_counter())
        response = routes.failure(code, message or "bad request", "bad_request")
        self.close_connection = True
        self.request_version = "HTTP/1.0"  # an unparsable request line: still answer with headers
        try:
            self._send(response, head=False)
        except OSError:
            pass

    def log_request(self, code="-", size="-"):
        elapsed = (time.perf_counter() - getattr(self, "_started", time.perf_counter())) * 1000
        request = (self.requestline or "").replace("\n", " ")[:200]
        sys.stderr.write(f"{self.client_address[0]} - [{self.log_date_time_string()}] \"{request}\" "
                         f"{code} {elapsed:.1f}ms\n")

    def log_message(self, format, *args):  # the library's other messages, one line each
        sys.stderr.write(f"{self.client_address[0]} - {format % args}\n")

    def log_error(self, format, *args):
        pass  # send_error already logs the request line with its status


def _discard(stream, size: int, most: int = 16 * MAX_BODY_BYTES) -> None:
    left = min(size, most)
    try:
        while left > 0:
            chunk = stream.read(min(left, 65536))
            if not chunk:
                return
            left -= len(chunk)
    except OSError:
        pass


def _unauthorized(app: App, route: routes.Route) -> routes.Response:
    response = routes.failure(401, f"this endpoint needs the token ({auth.TOKEN_VARIABLE} on the server) "
                                   "in an Authorization header with the Bearer scheme", "unauthorized")
    if route.html:
        response.headers["WWW-Authenticate"] = 'Basic realm="opsctl", charset="UTF-8"'
    return response


def _code(exc) -> str:
    from ..errors import NotFound, OpsctlError

    if isinstance(exc, NotFound):
        return "not_found"
    return getattr(exc, "code", None) or ("invalid_input" if int(exc.exit_code) == 2 else "ledger_unavailable"
                                          if isinstance(exc, OpsctlError) else "internal_error")


def serve(settings, *, host: str, port: int, token: str | None, on_ready=None) -> int:
    """Listen until SIGTERM or Ctrl-C; 0 on a clean stop."""
    auth.check_bind(host, token)
    app = App(settings, host=host, port=port, token=token)
    try:
        server = Server((host, port), app)
    except OSError as exc:
        from ..errors import OperationalFailure

        raise OperationalFailure(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    app.port = server.server_address[1]
    stopping = threading.Event()

    def stop(signum, frame):
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if on_ready:
            on_ready(app)
        server.serve_forever(poll_interval=0.25)
    finally:
        server.server_close()  # waits for the requests in flight
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
