"""Which files may make opsctl run a command.

A `.env` that sets OPSCTL_NOTIFY_USER_CMD, an opsctl.yaml with `remediation:` or command
sources, an integrations.md with `type: command` usage sources: each is obeyed only when it
is owned by the user running opsctl (or root) and not writable by group or others, as ssh's
StrictModes does. Running opsctl inside a freshly cloned repository then cannot run a
stranger's command. Everything else in such a file still works.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import UntrustedFile


def problem(path: str | os.PathLike) -> str | None:
    """None when `path` is trusted, else why not (with the fix)."""
    path = Path(path)
    try:
        info = path.stat()
    except OSError:
        return None  # nothing there: nothing to obey
    if info.st_uid not in (os.getuid(), 0):
        return f"{path} is owned by another user (uid {info.st_uid}); chown it to yourself and chmod go-w {path}"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"{path} is writable by group or others; run: chmod go-w {path}"
    return None


def require(path: str | os.PathLike, what: str) -> None:
    """Raise UntrustedFile (exit 1, code untrusted_file) unless `path` may make opsctl run `what`."""
    found = problem(path)
    if found is not None:
        raise UntrustedFile(f"refusing to run {what} from an untrusted file: {found}")


# Refusals made while a command still did everything else it could; the CLI turns the first
# into exit 1 (code untrusted_file) once the command has finished.
refusals: list[UntrustedFile] = []


def refuse(path: str | os.PathLike | None, what: str) -> bool:
    """True (and the refusal remembered, and said on stderr) when `path` may not make opsctl run `what`."""
    found = problem(path) if path is not None else None
    if found is None:
        return False
    refusal = UntrustedFile(f"refusing to run {what} from an untrusted file: {found}")
    if not any(r.message == refusal.message for r in refusals):
        refusals.append(refusal)
        import sys

        print(f"opsctl: {refusal.message}", file=sys.stderr)
    return True
