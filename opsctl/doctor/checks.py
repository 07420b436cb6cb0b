"""The built-in checks of `opsctl doctor`, one small function each."""

from __future__ import annotations

import re
import stat
from datetime import timedelta
from pathlib import Path

from . import Finding, Note, check

TICK_LATE = timedelta(minutes=15)
_COMMAND_USAGE = re.compile(r"type[\"']?\s*:\s*[\"']?command")


@check("config")
def config(ctx):
    from ..config import load_config
    from ..config_check import validate
    from ..errors import OpsctlError

    path = ctx.settings.config_path
    if path is None:
        return [Note("config", "no opsctl.yaml: the defaults apply")]
    try:
        data = load_config(path)
    except OpsctlError as exc:
        return [Finding("config", exc.message, f"fix {path}")]
    problems = validate(data, path, ctx.settings)
    return [Finding("config", message, f"fix {path}") for message in problems.values()] or [Note("config", str(path))]


@check(".env")
def dotenv(ctx):
    problem = getattr(ctx, "dotenv_problem", None)
    return [Finding(".env", problem, "use NAME=value lines")] if problem else []


def _command_files(ctx) -> list[tuple[Path, str]]:
    """Files present that could make opsctl run a command, and what."""
    found = []
    for name, origin in ctx.settings.origins.items():
        from ..settings import COMMAND_VARS

        if name in COMMAND_VARS:
            found.append((origin, name))
    path = ctx.settings.config_path
    if path is not None and path.is_file():
        text = path.read_text(encoding="utf-8", errors="replace")
        if "remediation:" in text or "command" in text:
            found.append((path, "remediation or command sources"))
    try:
        from ..inventory import locate

        inventory = locate(ctx)
        if inventory.is_file() and _COMMAND_USAGE.search(inventory.read_text(encoding="utf-8", errors="replace")):
            found.append((inventory, "usage commands"))
    except Exception:  # noqa: BLE001 - a broken config is the config check's finding
        pass
    return found


@check("trust")
def trust(ctx):
    from ..trust import problem

    findings = []
    for path, what in _command_files(ctx):
        found = problem(path)
        if found:
            findings.append(Finding("trust", f"{what} in {path} will not run: {found.split('; ')[0]}",
                                    f"chmod go-w {path}"))
    return findings


@check("permissions")
def permissions(ctx):
    home = ctx.settings.home
    findings = []
    candidates = [home, home / "spool", home / "logs", home / "locks"]
    from ..ledger.url import is_postgres

    if not is_postgres(ctx.settings.get("OPSCTL_DB")):  # a PostgreSQL ledger has no local files
        db = ctx.settings.db_path
        candidates += [db.with_name(db.name + suffix) for suffix in ("", "-wal", "-shm")]
    for path in candidates:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            continue
        if mode & 0o077:
            wanted = "700" if path.is_dir() else "600"
            findings.append(Finding("permissions", f"{path} is readable by others (mode {mode:o})",
                                    f"chmod {wanted} {path}"))
    return findings


@check("ledger")
def ledger(ctx):
    from ..errors import OpsctlError
    from ..ledger.db import quick_check

    try:
        conn = ctx.conn
    except OpsctlError as exc:
        return [Finding("ledger", exc.message, "move the file aside or set OPSCTL_DB")]
    db = conn.where  # the file, or the PostgreSQL URL with its password masked
    found = quick_check(conn)
    if found:
        return [Finding("ledger", f"{db} is damaged: {found[:200]}",
                        f"copy what can be read (sqlite3 {db} .recover) and move the file aside")]
    return [Note("ledger", f"{db}: integrity ok")]


@check("channels")
def channels(ctx):
    from ..channels.registry import configured

    found = configured(ctx, include_unusable=True)
    if not found:
        return [Note("channels", "no channel configured: notifications are shown in the terminal only")]
    findings = []
    for channel in found:
        missing = channel.missing()
        if missing:
            findings.append(Finding("channels", f"{channel.channel} is configured but incomplete", missing))
        else:
            findings.append(Note("channels", f"{channel.channel}: ready"))
    return findings


@check("outbox")
def outbox(ctx):
    from .. import clock
    from ..ledger.health_table import outbox_backlog

    hour_ago = clock.to_iso(clock.now() - timedelta(hours=1))
    counts = outbox_backlog(ctx.conn, hour_ago)
    findings = []
    if counts["stuck"]:
        findings.append(Finding("outbox", f"{counts['stuck']} deliveries have waited more than an hour",
                                "check `opsctl outbox list` and the channels, then run `opsctl deliver`"))
    if counts["dead"]:
        findings.append(Finding("outbox", f"{counts['dead']} deliveries are dead (gave up)",
                                "fix the channel, then `opsctl outbox retry --dead`"))
    return findings


@check("tick")
def tick(ctx):
    from .. import clock
    from ..ledger.health_table import last_tick

    last = last_tick(ctx.conn)
    if last is None:
        return [Finding("tick", "`opsctl tick` has never run: escalations and retries wait for it",
                        "add `* * * * * opsctl tick` to your crontab")]
    if clock.parse_iso(last) < clock.now() - TICK_LATE:
        return [Finding("tick", f"`opsctl tick` last ran at {last[:16].replace('T', ' ')} UTC",
                        "check the crontab line `* * * * * opsctl tick`")]
    return [Note("tick", f"last ran at {last}")]


@check("spool")
def spool(ctx):
    from ..spool import pending

    waiting = pending(ctx.settings.home)
    if waiting:
        return [Finding("spool", f"{len(waiting)} reports wait in {ctx.settings.home / 'spool'}",
                        "make the ledger writable; the next command ingests them")]
    return []
