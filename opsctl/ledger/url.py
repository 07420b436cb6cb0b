"""Which backend a ledger target names, and how to print it without its password."""

from __future__ import annotations

import os

PG_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(target: object) -> bool:
    return isinstance(target, str) and target.startswith(PG_SCHEMES)


def mask(url: str) -> str:
    """postgresql://user:secret@host:5432/db → postgresql://user:***@host:5432/db"""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


def host_port(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        port = parts.port or 5432
    except ValueError:
        port = "?"
    return f"{parts.hostname or 'localhost'}:{port}"


def target_of(where) -> str | os.PathLike:
    """A Settings, a URL or a path → the URL (str) or the path."""
    if hasattr(where, "get") and hasattr(where, "db_path"):
        url = where.get("OPSCTL_DB")
        return url if is_postgres(url) else where.db_path
    return where
