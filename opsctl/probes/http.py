"""One HTTP request with a total deadline (connect + headers + body), for probes and quota checks.

urllib's timeout bounds each socket operation, not the whole request: a server
that drips one byte a second would never time out. Here the body is read in
chunks against a deadline, so a check never takes longer than its timeout.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

MAX_BODY = 1 << 20  # a usage or health endpoint answering more than 1 MiB is broken
# never sent on to another origin when a server redirects (scheme, host and port must all match)
CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "x-auth-token")


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes
    elapsed_ms: float

    def json(self):
        """The parsed body; ValueError naming the problem when it is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except UnicodeDecodeError:
            raise ValueError("the response is not UTF-8 text") from None
        except ValueError as exc:
            snippet = self.body[:60].decode("utf-8", "replace")
            raise ValueError(f"the response is not JSON ({exc.msg} at char {exc.pos}): {snippet!r}") from None


@dataclass
class Failure(Exception):
    """No HTTP answer at all: refused, DNS, timeout, TLS. `reachable` is False."""

    problem: str
    elapsed_ms: float = 0.0
    timed_out: bool = False
    reachable: bool = field(default=False)

    def __str__(self) -> str:
        return self.problem


def fetch(url: str, *, method: str = "GET", headers: dict[str, str] | None = None, timeout: float = 10.0,
          body: bytes | None = None) -> Response:
    """The response (any status); Failure when there is none within `timeout` seconds."""
    import urllib.error
    import urllib.request

    began = time.monotonic()
    deadline = began + timeout
    request = urllib.request.Request(url, data=body, method=method.upper(),
                                     headers={"User-Agent": "opsctl", "Accept": "application/json", **(headers or {})})
    try:
        try:
            answer = _opener().open(request, timeout=timeout)  # URLs come from the config
        except urllib.error.HTTPError as error:  # 4xx/5xx: still an answer
            answer = error
        with answer:
            status, got = getattr(answer, "status", None) or answer.code, answer.headers
            data = _read(answer, deadline)
    except Failure as failure:
        failure.elapsed_ms = _ms(began)
        raise
    except urllib.error.URLError as exc:
        reason = exc.reason
        timed_out = isinstance(reason, TimeoutError)
        raise Failure(_reason(reason, timeout), _ms(began), timed_out) from None
    except TimeoutError:  # socket.timeout is an alias
        raise Failure(f"no answer within {timeout:g}s", _ms(began), True) from None
    except (OSError, ValueError) as exc:  # reset connection, bad URL, bad status line
        raise Failure(f"{type(exc).__name__}: {exc}", _ms(began)) from None
    return Response(status, {k.lower(): v for k, v in got.items()}, data, _ms(began))


def origin(url: str) -> tuple[str, str, int | None]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port or default


_OPENER = None


def _opener():
    """urllib's opener, with redirects that drop credentials when they leave the origin."""
    global _OPENER
    if _OPENER is None:
        import urllib.request

        class SameOriginCredentials(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, req, fp, code, msg, headers, newurl):
                new = super().redirect_request(req, fp, code, msg, headers, newurl)
                if new is not None and origin(newurl) != origin(req.full_url):
                    for name in list(new.headers):
                        if name.lower() in CREDENTIAL_HEADERS or name.lower().endswith(("-token", "-key")):
                            del new.headers[name]
                return new

        _OPENER = urllib.request.build_opener(SameOriginCredentials)
    return _OPENER


def _read(answer, deadline: float) -> bytes:
    chunks, size = [], 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure("the answer did not complete within the timeout", timed_out=True, reachable=True)
        _shorten_timeout(answer, left)
        chunk = answer.read1(65536) if hasattr(answer, "read1") else answer.read(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY:
            raise Failure(f"the answer is larger than {MAX_BODY // 1024} KiB", reachable=True)


def _shorten_timeout(answer, seconds: float) -> None:
    """Each read waits at most what is left of the deadline (http.client keeps the socket private)."""
    raw = getattr(getattr(answer, "fp", None), "raw", None)
    sock = getattr(raw, "_sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def _reason(reason, timeout: float) -> str:
    import socket

    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g}s"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return f"cannot resolve the host ({reason.strerror})"
    return str(getattr(reason, "strerror", None) or reason)


def _ms(began: float) -> float:
    return round((time.monotonic() - began) * 1000, 1)
