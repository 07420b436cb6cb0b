"""Deliveries whose client libraries are heavy, sent from a forked child so two cores import them at once.

slack-sdk and notion-client (with httpx) each take about 100 ms to import and set up, more than
the rest of a notification; threads import one after the other (the GIL), forked processes side
by side. So when one batch holds deliveries for two or more such libraries not yet imported, all
but the first library's are sent by a child per library. Only the `opsctl` executable does this
(`opsctl.executable`), only where `os.fork` exists and only while no other thread runs (a fork
copies locks, not the threads holding them).

The child only sends: it never opens the ledger (SQLite's locks are per process, and a child
would inherit the parent's view of them). It reports each outcome on a pipe; the parent, which
keeps the claims and renews their lease meanwhile, records them like its own threads' outcomes.
A child retries only while its parent lives (the claim is the parent's), and stops at the same
deadline, so it cannot send on a claim someone else has taken over.
"""

from __future__ import annotations

import json
import os
import select
import sys
import threading
import time

from ..channels.base import DeliveryError, Permanent, Sent, Transient


class Child:
    def __init__(self, pid: int, pipe: int, jobs: list):
        self.pid, self.pipe, self.jobs = pid, pipe, jobs  # pipe: the read end (outcomes as JSON, then EOF)


def split(jobs: list) -> tuple[list[list], list]:
    """(groups of jobs to fork, jobs sent here): one group per heavy library after the first, when that pays."""
    from .. import executable

    if not executable.RUNNING or not hasattr(os, "fork") or threading.active_count() > 1:
        return [], jobs
    groups: dict[str, list] = {}
    for job in jobs:
        library = job.channel.client_library
        if library and library not in sys.modules:
            groups.setdefault(library, []).append(job)
    if len(groups) < 2:
        return [], jobs
    away = list(groups.values())[1:]
    moved = {id(job) for group in away for job in group}
    return away, [job for job in jobs if id(job) not in moved]


def start(jobs: list, rules) -> tuple[list[Child], list]:
    """Fork the children; returns them and the jobs left for this process."""
    away, here = split(jobs)
    children = []
    for group in away:
        read, write = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns (tests see it through the executable)
            os.close(read)
            _child(group, rules, write, parent)
        os.close(write)
        children.append(Child(pid, read, group))
    return children, here


class _ParentAlive:
    """What a child's sender asks before a retry instead of the ledger: the claim is the parent's and holds
    while the parent lives (it renews the lease); once it is gone, the next `opsctl deliver` may take over."""

    def __init__(self, parent: int):
        self.parent = parent

    def holds(self, row_id: int) -> bool:
        return os.getppid() == self.parent


def _child(jobs: list, rules, pipe: int, parent: int) -> None:
    code = 1
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # never hold the caller's pipes open
            os.dup2(devnull, fd)
        from .sending import Senders

        senders = Senders(jobs, _ParentAlive(parent), rules)
        report = [{"id": job.row["id"], **_encode(result)} for arrived in senders.results() for job, result in arrived]
        report += [{"id": job.row["id"], "never": True} for job in senders.stop()]
        data = json.dumps(report).encode()
        while data:
            data = data[os.write(pipe, data):]
        code = 0
    finally:
        os._exit(code)  # nothing of the parent's (exit handlers, buffered output, connections) runs here


def collect(child: Child, deadline: float) -> tuple[list[tuple], list]:
    """(the (job, Sent | DeliveryError) pairs the child reported, the jobs it never started), waiting for it
    until `deadline` (monotonic). Jobs in neither are still being sent (or the child died)."""
    data = _read_until_eof(child.pipe, deadline)
    os.close(child.pipe)
    try:
        os.waitpid(child.pid, os.WNOHANG)  # reaped now if it has ended; else by init once we exit
    except ChildProcessError:
        pass
    try:
        report = {entry["id"]: entry for entry in json.loads(data)} if data else {}
    except (ValueError, TypeError, KeyError):
        report = {}
    arrived, never = [], []
    for job in child.jobs:
        entry = report.get(job.row["id"])
        if entry is None:
            continue
        if entry.get("never"):
            never.append(job)
        else:
            arrived.append((job, _decode(entry)))
    return arrived, never


def _encode(result) -> dict:
    if isinstance(result, Sent):
        return {"sent": {"remote_id": result.remote_id, "ref": result.ref, "note": result.note, "cache": result.cache}}
    return {"error": result.message, "transient": result.transient, "retry_after": result.retry_after,
            "later_only": result.later_only}


def _decode(entry: dict) -> Sent | DeliveryError:
    if "sent" in entry:
        return Sent(**entry["sent"])
    kind = Transient if entry.get("transient") else Permanent
    return kind(entry["error"], retry_after=entry.get("retry_after"), later_only=bool(entry.get("later_only")))


def _read_until_eof(fd: int, deadline: float) -> bytes:
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return b""  # not done in time
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
