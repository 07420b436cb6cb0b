"""The channels' one HTTP path, with the standard library: `send()` and a signed JSON POST on it.

http.client rather than requests: it keeps a notification's process start-up short. Connections
are kept alive per origin, so `opsctl deliver` sending thousands of rows to one webhook opens a
few connections, not one per POST. Proxies from the environment (and NO_PROXY) apply.
"""

from __future__ import annotations

import json

from .base import Permanent, Sent, Transient

USER_AGENT = "opsctl (+https://github.com/opsctl)"


def signature(secret: str, body: bytes) -> str:
    """The X-Opsctl-Signature value: `sha256=<hex HMAC-SHA256 of the raw body>`."""
    import hashlib  # only when signing: routing imports every channel type, most never sign
    import hmac

    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


MAX_RETRY_AFTER = 3600.0  # a server never parks a channel for longer than an hour


def retry_after(value: str | None) -> float | None:
    """Retry-After as seconds in [0, 1 h]: a number or an HTTP date; garbage (and nan) is None."""
    if not value:
        return None
    text = str(value).strip()[:100]
    try:
        seconds = float(text)
    except ValueError:
        try:
            from email.utils import parsedate_to_datetime

            from ..clock import now

            seconds = (parsedate_to_datetime(text) - now()).total_seconds()
        except (TypeError, ValueError, OverflowError, IndexError):
            return None
    if seconds != seconds:  # nan
        return None
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


def post_json(url: str, data: dict, *, what: str, secret: str | None, timeout: float,
              delivery_id: int | None = None, event: str | None = None) -> Sent:
    """POST `data`; 2xx is sent, 429/408/5xx and network errors are transient, other 4xx permanent.

    `what` names the setting for messages ("OPSCTL_NOTIFY_USER_URL"); the URL itself is never
    shown (URLs often carry tokens).
    """
    body = json.dumps(data, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if secret:
        headers["X-Opsctl-Signature"] = signature(secret, body)
    if event:
        headers["X-Opsctl-Event"] = event
    if delivery_id is not None:  # lets a receiver drop the rare duplicate after a crash
        headers["X-Opsctl-Delivery"] = str(delivery_id)
        headers["Idempotency-Key"] = f"opsctl-delivery-{delivery_id}"
    status, _ = exchange(url, "POST", body, headers, what=what, timeout=timeout,
                         auth_hint="the secret / token it expects")
    return Sent(note=f"HTTP {status}")


def send(request, **how) -> tuple[int, bytes]:
    """`exchange` for a urllib Request (how email and SMS build theirs)."""
    return exchange(request.full_url, request.get_method(), request.data, dict(request.header_items()), **how)


def exchange(url: str, method: str, body: bytes | None, headers: dict, *, what: str, timeout: float,
             rejected: str = "the notification", auth_hint: str = "its credentials", detail=None) -> tuple[int, bytes]:
    """Send one HTTP request the way every channel does; (status, the first 64 KiB of the body) on 2xx.

    Connections are kept alive and reused per origin (see `Pool`); proxies from the environment (and
    NO_PROXY) apply. Redirects are made safe (see `_follow`); 408/425/429/5xx and network errors are
    transient (a timeout's outcome is unknown: not retried in this run), other 4xx permanent.
    `detail(exc)` turns an error body (an HTTPError) into a short explanation (default: its first 200
    characters).
    """
    try:
        status, answer, data = _follow(url, method, body, headers, what, timeout)
    except ValueError as exc:  # unknown url type and friends
        raise Permanent(f"{what} is not a usable URL ({exc.__class__.__name__})") from None
    except TimeoutError:
        raise Transient(f"{what} did not answer in time (the outcome is unknown)", later_only=True) from None
    except OSError as exc:
        raise Transient(f"{what} unreachable ({type(exc).__name__}: {exc})") from None
    if 200 <= status < 300:
        return status, data
    import io
    import urllib.error

    wait = retry_after(answer.get("Retry-After"))
    text = (detail or _snippet)(urllib.error.HTTPError(url, status, "", answer, io.BytesIO(data)))
    if status in (408, 425, 429) or status >= 500:
        raise Transient(f"{what} answered HTTP {status}{text}", retry_after=wait)
    hint = f" (check {auth_hint})" if status in (401, 403) else ""
    raise Permanent(f"{what} rejected {rejected}: HTTP {status}{text}{hint}")


MAX_REDIRECTS = 5
CREDENTIALS = ("authorization", "cookie", "proxy-authorization")


def _follow(url: str, method: str, body: bytes | None, headers: dict, what: str, timeout: float):
    """(status, headers, body), following redirects the safe way for a POST.

    307/308 are followed with the same body (at most 5); 301/302/303 (which would turn the POST into a
    GET without body) are a failure. Credentials never go to another origin.
    """
    import urllib.parse

    if body is not None and not any(k.lower() == "content-type" for k in headers):
        headers = dict(headers, **{"Content-Type": "application/x-www-form-urlencoded"})  # as urllib would
    if not any(k.lower() == "user-agent" for k in headers):
        headers = dict(headers, **{"User-Agent": USER_AGENT})
    for _ in range(MAX_REDIRECTS + 1):
        status, answer, data = POOL.round_trip(url, method, body, headers, timeout)
        if status in (301, 302, 303):
            raise Permanent(f"{what} answered HTTP {status} (a redirect); a notification is not re-sent as a "
                            "GET without its body: set the final URL")
        location = answer.get("Location") if status in (307, 308) else None
        if not location:
            return status, answer, data
        moved = urllib.parse.urljoin(url, location)
        old, new = urllib.parse.urlsplit(url), urllib.parse.urlsplit(moved)
        if new.scheme not in ("http", "https"):
            raise Permanent(f"{what} redirected to a {new.scheme or 'relative'} URL; set the final URL")
        if (old.scheme, old.hostname, old.port) != (new.scheme, new.hostname, new.port):
            headers = {k: v for k, v in headers.items() if k.lower() not in CREDENTIALS}
        url = moved
    raise Permanent(f"{what} redirected more than {MAX_REDIRECTS} times; set the final URL")


class Pool:
    """Idle keep-alive connections per origin (and proxy), shared by the sending threads.

    A connection is used by one request at a time; it goes back to the pool only when its answer was
    read to the end and the server did not ask to close. One that the server closed while idle is
    noticed before reuse (readable with nothing to read), never while a request is on the wire.
    """

    IDLE = 16  # per origin: enough for `outbox.concurrency` senders

    def __init__(self) -> None:
        import threading

        self.idle: dict[tuple, list] = {}
        self.lock = threading.Lock()

    def round_trip(self, url: str, method: str, body: bytes | None, headers: dict, timeout: float):
        import socket
        import urllib.parse

        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"unknown url type: {parts.scheme!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        proxy = _proxy(parts.scheme, parts.hostname)
        key = (parts.scheme, parts.hostname, port, proxy)
        if proxy and parts.scheme == "http":  # the proxy is asked for the absolute URL, with its own login
            target, headers = url.split("#", 1)[0], {**headers, **_proxy_login(proxy)}
        else:
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn = self._take(key) or _connection(parts.scheme, parts.hostname, port, proxy)
        try:
            conn.timeout = timeout
            if conn.sock is None:
                conn.connect()
                # http.client writes the headers and the body separately: without this, on a connection
                # kept alive the body would wait for the server's delayed ACK of the headers (~40 ms)
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            else:
                conn.sock.settimeout(timeout)
            conn.request(method, target, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read(65536)
        except BaseException:
            conn.close()
            raise
        if response.isclosed() and not response.will_close:
            self._give(key, conn)
        else:  # more than 64 KiB, or the server closes: never reuse
            conn.close()
        return response.status, response.headers, data

    def _take(self, key):
        while True:
            with self.lock:
                idle = self.idle.get(key)
                if not idle:
                    return None
                conn = idle.pop()
            if _still_open(conn):
                return conn
            conn.close()

    def _give(self, key, conn) -> None:
        with self.lock:
            idle = self.idle.setdefault(key, [])
            if len(idle) < self.IDLE:
                idle.append(conn)
                return
        conn.close()


POOL = Pool()


def _still_open(conn) -> bool:
    """An idle connection that is readable was closed by the server (or sent something unasked)."""
    import select

    if conn.sock is None:
        return False
    try:
        poller = select.poll()
        poller.register(conn.sock, select.POLLIN)
        return not poller.poll(0)
    except (OSError, ValueError, AttributeError):  # no poll() on this platform, or a closed socket
        return False


def _proxy(scheme: str, host: str) -> str | None:
    """The proxy for this URL from the environment, as urllib reads it (lower case first; NO_PROXY)."""
    import os

    env = os.environ
    proxy = env.get(f"{scheme}_proxy") or env.get(f"{scheme.upper()}_PROXY")
    if not proxy or (scheme == "http" and "REQUEST_METHOD" in env and not env.get("http_proxy")):
        return None  # (a CGI request may set HTTP_PROXY itself)
    import urllib.request

    no_proxy = env.get("no_proxy") or env.get("NO_PROXY")
    if no_proxy and urllib.request.proxy_bypass_environment(host, {"no": no_proxy}):
        return None
    return proxy


_TLS = None


def _connection(scheme: str, host: str, port: int, proxy: str | None):
    """A new connection to the origin, or through the proxy (http: absolute URLs; https: a CONNECT tunnel)."""
    import http.client

    global _TLS
    if scheme == "https" and _TLS is None:
        import ssl

        _TLS = ssl.create_default_context()  # the CA bundle is loaded once per process, not per request
    if not proxy:
        return http.client.HTTPSConnection(host, port, context=_TLS) if scheme == "https" else \
            http.client.HTTPConnection(host, port)
    via = _split_proxy(proxy)
    if scheme == "http":
        return http.client.HTTPConnection(via.hostname, via.port or 80)
    conn = http.client.HTTPSConnection(via.hostname, via.port or 80, context=_TLS)
    conn.set_tunnel(host, port, headers=_proxy_login(proxy))
    return conn


def _split_proxy(proxy: str):
    import urllib.parse

    return urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")


def _proxy_login(proxy: str | None) -> dict:
    """The Proxy-Authorization header for a proxy URL with user:password@, else nothing."""
    via = _split_proxy(proxy) if proxy else None
    if via is None or via.username is None:
        return {}
    import base64
    import urllib.parse

    login = f"{urllib.parse.unquote(via.username)}:{urllib.parse.unquote(via.password or '')}"
    return {"Proxy-Authorization": "Basic " + base64.b64encode(login.encode()).decode()}


def _snippet(exc) -> str:
    try:
        text = exc.read(300).decode("utf-8", "replace").strip()
    except Exception:  # noqa: BLE001 - the body is a courtesy
        return ""
    return f": {text[:200]}" if text else ""
