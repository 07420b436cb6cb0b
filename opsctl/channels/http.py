"""A signed JSON POST with the standard library (webhooks and the notify_user URL).

urllib rather than requests: one small POST does not need a session, and it keeps a
notification's process start-up short. Proxies from the environment (and NO_PROXY) apply.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from .base import Permanent, Sent, Transient

USER_AGENT = "opsctl (+https://github.com/opsctl)"


def signature(secret: str, body: bytes) -> str:
    """The X-Opsctl-Signature value: `sha256=<hex HMAC-SHA256 of the raw body>`."""
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
    import urllib.request

    body = json.dumps(data, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if secret:
        headers["X-Opsctl-Signature"] = signature(secret, body)
    if event:
        headers["X-Opsctl-Event"] = event
    if delivery_id is not None:  # lets a receiver drop the rare duplicate after a crash
        headers["X-Opsctl-Delivery"] = str(delivery_id)
        headers["Idempotency-Key"] = f"opsctl-delivery-{delivery_id}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    status, _ = send(request, what=what, timeout=timeout, auth_hint="the secret / token it expects")
    return Sent(note=f"HTTP {status}")


def send(request, *, what: str, timeout: float, rejected: str = "the notification", auth_hint: str = "its credentials",
         detail=None) -> tuple[int, bytes]:
    """Send one HTTP request the way every channel does; (status, the first 64 KiB of the body) on 2xx.

    Redirects are made safe (see `_redirects`); 408/425/429/5xx and network errors are transient
    (a timeout's outcome is unknown: not retried in this run), other 4xx permanent. `detail(exc)`
    turns an error body into a short explanation (default: its first 200 characters).
    """
    import urllib.error

    try:
        with _opener(what).open(request, timeout=timeout) as response:
            return response.status, response.read(65536)
    except urllib.error.HTTPError as exc:
        status = exc.code
        wait = retry_after(exc.headers.get("Retry-After") if exc.headers else None)
        text = (detail or _snippet)(exc)
        if status in (408, 425, 429) or status >= 500:
            raise Transient(f"{what} answered HTTP {status}{text}", retry_after=wait) from None
        hint = f" (check {auth_hint})" if status in (401, 403) else ""
        raise Permanent(f"{what} rejected {rejected}: HTTP {status}{text}{hint}") from None
    except ValueError as exc:  # unknown url type and friends
        raise Permanent(f"{what} is not a usable URL ({exc.__class__.__name__})") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise Transient(f"{what} did not answer in time (the outcome is unknown)", later_only=True) from None
        raise Transient(f"{what} unreachable ({type(reason).__name__}: {reason})") from None


def _opener(what: str):
    """urllib, with redirects made safe for a POST (see `_Redirects`)."""
    import urllib.request

    return urllib.request.build_opener(_redirects(what))


def _redirects(what: str):
    import urllib.parse
    import urllib.request

    class _Redirects(urllib.request.HTTPRedirectHandler):
        """307/308 are followed with the same body; 301/302/303 (which would turn the POST into a GET
        without body) are a failure. Credentials never go to another origin."""

        max_redirections = 5

        def redirect_request(self, req, fp, code, msg, headers, newurl):
            if code not in (307, 308):
                raise Permanent(f"{what} answered HTTP {code} (a redirect); a notification is not re-sent as a "
                                "GET without its body: set the final URL")
            new = urllib.request.Request(newurl, data=req.data, method=req.get_method(), headers={
                k: v for k, v in req.header_items() if k.lower() not in ("host", "content-length")})
            old, moved = urllib.parse.urlsplit(req.full_url), urllib.parse.urlsplit(newurl)
            if (old.scheme, old.hostname, old.port) != (moved.scheme, moved.hostname, moved.port):
                for name in ("Authorization", "Cookie", "Proxy-authorization"):
                    new.remove_header(name)
                    new.remove_header(name.capitalize())
            return new

    return _Redirects()


def _snippet(exc) -> str:
    try:
        text = exc.read(300).decode("utf-8", "replace").strip()
    except Exception:  # noqa: BLE001 - the body is a courtesy
        return ""
    return f": {text[:200]}" if text else ""
