"""Every command may send a few due deliveries on its way out; when nothing is due it costs one
indexed SELECT (no network client, no YAML, no migration is touched)."""

from __future__ import annotations

import sqlite3

SKIP = {"deliver", "outbox", "tick", "channels", "notion", "wait"}


def after_command(argv: list[str]) -> None:
    """Called by the CLI after a successful command. Never raises, never prints to stdout."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if command is None or command in SKIP or "--help" in argv or "-h" in argv:
        return
    try:
        _maybe_drain()
    except Exception:  # noqa: BLE001 - best effort: the command itself already succeeded
        pass


def _maybe_drain() -> None:
    from ..settings import Settings

    settings = Settings.load()
    if settings.get("OPSCTL_AUTODRAIN", "1") in ("0", "false", "no"):
        return
    path = settings.db_path
    if not path.is_file():
        return
    conn = sqlite3.connect(path, timeout=1)
    try:
        conn.row_factory = sqlite3.Row
        from ..clock import now_iso

        due = conn.execute("SELECT 1 FROM deliveries WHERE status IN ('queued', 'sending') AND next_attempt_at <= ?"
                           " LIMIT 1", (now_iso(),)).fetchone()
    finally:
        conn.close()
    if due is None:
        return
    from ..context import Context
    from .flush import drain
    from .policy import policy

    ctx = Context(settings)
    try:
        limit = policy(ctx).opportunistic
        if limit:
            drain(ctx, limit=limit)
    finally:
        ctx.close()
