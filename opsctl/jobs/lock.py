"""Overlap lock for `opsctl run`: one flock'd file per job name.

The OS drops a flock when the last descriptor on it closes, so a crashed holder
never blocks the next run. A clean release truncates the file; content found
when we acquire therefore means the previous holder died holding it.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from datetime import timedelta
from pathlib import Path

from opsctl import clock
from opsctl.errors import InvalidInput
from opsctl.jobs.plain import Plain

_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def check_job_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidInput(f"invalid job name {name!r}: must match [A-Za-z0-9_.-]{{1,64}}")
    return name


class Lock(Plain):
    """Held lock. Pass `fd` to the supervisor (keep_fds) so the lock lives as long as the job.

    took_over_from: the holder record left by a process that died holding the lock, else None."""

    FIELDS = ("name", "path", "fd", "owner", "took_over_from")
    acquired = True

    def release(self) -> None:
        if self.fd < 0:
            return
        os.ftruncate(self.fd, 0)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = -1

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class Busy(Plain):
    """Someone else holds the lock; the new run must not start.

    held_by: {pid, started_at, host}, None while the holder is still writing it;
    too_old: held longer than max_age (the previous run looks hung);
    holder_alive: False when opsctl died but its job still runs (it inherited the lock)."""

    FIELDS = ("name", "path", "held_by", "age_seconds", "too_old", "holder_alive")
    acquired = False


def acquire(name: str, folder: str | Path, max_age: timedelta | float | None = None) -> Lock | Busy:
    check_job_name(name)
    folder = Path(folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"{name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        held_by = _read(fd)
        os.close(fd)
        return _busy(name, path, held_by, max_age)
    except BaseException:
        os.close(fd)
        raise
    previous = _read(fd)
    owner = {"pid": os.getpid(), "started_at": clock.now_iso(), "host": os.uname().nodename}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(owner).encode(), 0)
    return Lock(name, path, fd, owner, previous or None)


def _busy(name: str, path: Path, held_by: dict | None, max_age) -> Busy:
    age = alive = None
    if held_by:
        try:
            age = (clock.now() - clock.parse_iso(held_by["started_at"])).total_seconds()
        except (KeyError, TypeError, ValueError):
            pass
        if held_by.get("host") == os.uname().nodename and isinstance(held_by.get("pid"), int):
            alive = pid_alive(held_by["pid"])
    if isinstance(max_age, timedelta):
        max_age = max_age.total_seconds()
    too_old = max_age is not None and age is not None and age > max_age
    return Busy(name, path, held_by, age, too_old, alive)


def _read(fd: int) -> dict | None:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"null")
    except ValueError:
        return None  # torn write by a holder that is just starting
    return data if isinstance(data, dict) else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True
