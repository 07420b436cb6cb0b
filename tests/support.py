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
