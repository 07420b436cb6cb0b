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


def retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: an integer, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from email.utils import parsedate_to_datetime

        from ..clock import now

        return max(0.0, (parsedate_to_datetime(value) - now()).total_seconds())
    except (TypeError, ValueError):
        return None


def post_json(url: str, data: dict, *, what: str, secret: str | None, timeout: float,
              delivery_id: int | None = None, event: str | None = None) -> Sent:
    """POST `data`; 2xx is sent, 429/408/5xx and network errors are transient, other 4xx permanent.

    `what` names the setting for messages ("OPSCTL_NOTIFY_USER_URL"); the URL itself is never
    shown (URLs often carry tokens).
    """
    import urllib.error
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
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(65536)
            return Sent(note=f"HTTP {response.status}")
    except urllib.error.HTTPError as exc:
        status = exc.code
        wait = retry_after(exc.headers.get("Retry-After") if exc.headers else None)
        text = _snippet(exc)
        if status in (408, 425, 429) or status >= 500:
            raise Transient(f"{what} answered HTTP {status}{text}", retry_after=wait) from None
        hint = " (check the secret / token it expects)" if status in (401, 403) else ""
        raise Permanent(f"{what} rejected the notification: HTTP {status}{text}{hint}") from None
    except ValueError as exc:  # unknown url type and friends
        raise Permanent(f"{what} is not a usable URL ({exc.__class__.__name__})") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Transient(f"{what} unreachable ({type(reason).__name__}: {reason})") from None


def _snippet(exc) -> str:
    try:
        text = exc.read(300).decode("utf-8", "replace").strip()
    except Exception:  # noqa: BLE001 - the body is a courtesy
        return ""
    return f": {text[:200]}" if text else ""
