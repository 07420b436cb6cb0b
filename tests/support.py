"""Small helpers shared by tests that coordinate with real processes."""

from __future__ import annotations

import time


def wait_for(predicate, seconds: float = 20.0):
    """Poll until another process reaches a state (bounded; this waits for a process, not for clock time)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if value := predicate():
            return value
        time.sleep(0.02)
    raise AssertionError("condition not reached")


def gone(pid: int) -> bool:
    """Has process `pid` ended (exited, or a zombie waiting to be reaped)?"""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def children(pid: int) -> list[int]:
    """The pids of the processes `pid` (any of its threads) started and that still run or wait to be reaped."""
    import os

    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            found += [int(p) for p in f.read().split()]
    return found
