"""Who holds a claim, and whether that holder is provably gone.

An owner is "<host>:<pid>:<start>": the machine's boot id (a new one after every reboot), the
process id and the process's start time in clock ticks since boot (so a recycled pid is not
mistaken for the owner). On the same host a claim is taken over only when that process no
longer exists (or is a zombie): no clock is involved, so wall-clock jumps cannot free a live
claim. A claim of another host can only be judged by its lease, which the owner renews while
it sends; it is taken over once the lease is `MARGIN` seconds past.
"""

from __future__ import annotations

import os
import socket
from functools import lru_cache

MARGIN = 60.0  # seconds past another host's lease before its claim is taken over


@lru_cache(maxsize=1)
def host() -> str:
    # OPSCTL_HOST_ID lets tests play "another machine" with the same ledger
    override = os.environ.get("OPSCTL_HOST_ID")
    if override:
        return override.replace(":", "_")
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            return f.read().strip()
    except OSError:
        return socket.gethostname().replace(":", "_") or "unknown"


def _start_time(pid: int) -> str | None:
    """The process's start time (field 22 of /proc/PID/stat), or None when it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()
    if not fields or fields[0] in ("Z", "X"):  # dead, waiting to be reaped
        return None
    return fields[19]


def me() -> str:
    pid = os.getpid()
    return f"{host()}:{pid}:{_start_time(pid) or '0'}"


def gone(owner: str | None, *, lease_expired_for: float) -> bool:
    """True when the owner of a claim can no longer finish it.

    `lease_expired_for`: seconds since its lease ran out (negative while it holds).
    """
    if not owner:
        return lease_expired_for >= 0  # a claim from before owners were recorded: the lease decides
    where, _, rest = owner.partition(":")
    pid_text, _, started = rest.partition(":")
    if where != host():
        return lease_expired_for >= MARGIN
    if not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if not os.path.isdir("/proc"):  # no procfs: ask the kernel whether the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    now_started = _start_time(pid)
    return now_started is None or (started not in ("", "0") and now_started != started)
