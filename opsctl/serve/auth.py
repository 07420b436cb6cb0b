"""Who may read and who may write: the bearer token of OPSCTL_SERVE_TOKEN.

Writes always need it. Reads need it only when serve listens beyond loopback. The token is
accepted as `Authorization: Bearer <token>` or, for a browser, as the password of HTTP Basic
auth; it is compared in constant time.
"""

from __future__ import annotations

import base64
import hmac
import ipaddress

from ..errors import InvalidInput

TOKEN_VARIABLE = "OPSCTL_SERVE_TOKEN"


def is_loopback(host: str) -> bool:
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond loopback without a token (exit 2, nothing started)."""
    if not is_loopback(host) and not token:
        raise InvalidInput(f"serve listens on {host}, beyond this machine: set {TOKEN_VARIABLE} first "
                           "(every client then sends `Authorization: Bearer <token>`), or use --host 127.0.0.1")


def presented(authorization: str | None) -> str | None:
    """The token a request carries (Bearer, or the password of Basic auth)."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


def allowed(token: str | None, candidate: str | None) -> bool:
    if not token or candidate is None:
        return False
    return hmac.compare_digest(token.encode("utf-8"), candidate.encode("utf-8"))
