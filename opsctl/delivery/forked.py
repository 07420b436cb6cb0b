"""Send the deliveries of heavy client libraries from forked children, in parallel on other cores.

slack-sdk and notion-client each take 70–100 ms to import; in threads those imports run one after
the other (the GIL), in forked processes they run side by side. Only the `opsctl` command does
this (never inside someone else's program), only on POSIX, only before any thread is started, and
only when two or more heavy channels are due at once. Each child opens its own ledger connection,
sends its one delivery, records the outcome exactly as the threaded path does, and exits; the
parent reads the outcome from the row. A child still running when the budget ends keeps going
and records its result later, like an `opsctl deliver` would.
"""

from __future__ import annotations

import os
import threading
import time

ROW_OUTCOME = {"sent": "sent", "dead": "failed", "queued": "queued", "sending": "queued"}


def split(jobs) -> tuple[list, list]:
    """(jobs to fork, jobs for this process): all but one heavy job are forked when that pays."""
    heavy = [job for job in jobs if getattr(job.channel, "heavy_client", False)]
    if len(heavy) < 2 or not hasattr(os, "fork") or threading.active_count() > 1:
        return [], jobs
    from ..channels.lean_imports import owns_process

    if not owns_process():
        return [], jobs
    return heavy[1:], [job for job in jobs if job not in heavy[1:]]


def start(ctx, jobs, rules) -> dict[int, int]:
    """Fork one child per job; returns pid -> delivery id."""
    children = {}
    for job in jobs:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - measured through the CLI tests (coverage cannot see forks)
            _child(ctx, job, rules)
        children[pid] = job.delivery_id
    return children


def _child(ctx, job, rules) -> None:
    code = 1
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # never hold the caller's pipes open
            os.dup2(devnull, fd)
        from ..context import Context
        from . import run

        child = Context(ctx.settings)
        child.__dict__["config"] = ctx.config  # already parsed; never touch the parent's connection
        run.process(child, [job], rules)
        code = 0
    finally:
        os._exit(code)


def collect(ctx, children: dict[int, int], *, deadline: float) -> dict[int, dict]:
    """Wait for the children until `deadline` (monotonic); delivery id -> {channel, status[, error]}."""
    waiting = dict(children)
    while waiting and time.monotonic() < deadline:
        for pid in list(waiting):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                waiting.pop(pid)
        if waiting:
            time.sleep(0.002)
    outcomes = {}
    for delivery_id in children.values():
        row = ctx.conn.execute("SELECT channel, status, last_error FROM deliveries WHERE id = ?",
                               (delivery_id,)).fetchone()
        outcome = {"channel": row["channel"], "status": ROW_OUTCOME.get(row["status"], row["status"])}
        if delivery_id in waiting.values():
            outcome.update(status="queued", error="still sending when the time budget ran out; it finishes "
                                                  "in the background or `opsctl deliver` takes it over")
        elif row["status"] != "sent" and row["last_error"]:
            outcome["error"] = row["last_error"]
        outcomes[delivery_id] = outcome
    return outcomes
