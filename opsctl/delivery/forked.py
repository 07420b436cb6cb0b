"""Deliveries sent from forked children: side by side on the cores instead of one after the other.

Three cases, only in the `opsctl` executable (`opsctl.executable`), only where `os.fork` exists:
- a batch of SPREAD rows or more is split over one child per core, `outbox.concurrency` shared
  between them; this process only records (one Python process sends on one core at a time);
- slack-sdk and notion-client (with httpx) each take about 100 ms to import and set up, more than
  the rest of a notification, and threads import one after the other: when one batch holds
  deliveries for two or more such libraries not yet imported, all but the first library's are
  sent by a child per library;
- `notify-error` forks its senders as it starts (`warm`): they get every heavy library's jobs.
A fork copies locks, not the threads holding them, so it happens only while no thread runs but
the main one and an earlier round's pipe readers and lease renewers, which a child never touches.

The child only sends: it never opens the ledger (SQLite's locks are per process, and a child
would inherit the parent's view of them) and starts its own connection pool. It reports each
outcome on a pipe as it arrives; a thread of the parent, which keeps the claims and renews their
lease meanwhile, hands it to the same recording as its own senders' outcomes. The child tries only
while its parent lives (the claim is the parent's: when it dies, the next `opsctl deliver` takes
the rows over) and stops at the same deadline.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import select
import sys
import threading
import time

from ..channels.base import DeliveryError, Permanent, Sent, Transient

LOST = "the forked sender ended without reporting (the outcome is unknown)"


class Child:
    def __init__(self, pid: int, pipe: int, jobs: list):
        self.pid, self.pipe, self.jobs = pid, pipe, jobs  # pipe: the read end (outcomes as JSON, then EOF)


SPREAD = 100  # jobs in a batch from which it is sent by one child process per core
MAX_CHILDREN = 4


def _may_fork() -> bool:
    """Only the `opsctl` executable forks (never a Python program using the library), where POSIX allows."""
    from .. import executable

    return executable.RUNNING and hasattr(os, "fork")


def may_spread() -> bool:
    """Could a big batch be spread over forked processes here (the executable, POSIX, several cores)?"""
    return _may_fork() and _cores() > 1


def split(jobs: list, rules, *, warm: bool = False) -> tuple[list[tuple[list, object]], list]:
    """([(jobs, rules) per child to fork], jobs sent here).

    A big batch is spread over one child per core, `outbox.concurrency` shared between them, and
    this process only records (a process sends on one core at a time: the GIL). Otherwise one child
    per heavy library after the first, when two or more are not imported yet; with a `warm` child
    waiting (see warm.py), all of them to it, even a single heavy library's."""
    if not _may_fork() or not _only_ours():
        return [], jobs
    count = min(_cores(), MAX_CHILDREN, len(jobs) // (SPREAD // 2), rules.concurrency)  # never more in flight
    if len(jobs) >= SPREAD and count > 1:
        share = dataclasses.replace(rules, concurrency=max(1, -(-rules.concurrency // count)))
        return [(jobs[number::count], share) for number in range(count)], []
    groups: dict[str, list] = {}
    for job in jobs:
        library = job.channel.client_library
        if library and library not in sys.modules:
            groups.setdefault(library, []).append(job)
    if len(groups) < (1 if warm else 2):
        return [], jobs
    away = [[job for group in groups.values() for job in group]] if warm else list(groups.values())[1:]
    moved = {id(job) for group in away for job in group}
    return [(group, rules) for group in away], [job for job in jobs if id(job) not in moved]


def _only_ours() -> bool:
    """No thread runs but the main one and the earlier round's (which a child never touches: they wait on
    their child's pipe or renew leases through their own connection)."""
    main = threading.main_thread()
    return all(thread is main or thread.name in ("opsctl-forked", "opsctl-lease") for thread in threading.enumerate())


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def start(jobs: list, rules) -> tuple[list[Child], list]:
    """Fork the children (or hand the jobs to the warm one forked at start); returns them and the jobs left here."""
    from . import warm

    waiting = warm.take()
    away, here = split(jobs, rules, warm=waiting is not None)
    children = []
    if waiting is not None:
        child = waiting.hand(*away[0]) if len(away) == 1 else None
        if child is None:
            waiting.release()
        else:
            children.append(child)
            away = []
    for group, share in away:
        read, write = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns (tests see it through the executable)
            os.close(read)
            _child(group, share, write, parent)
        os.close(write)
        children.append(Child(pid, read, group))
    return children, here


class _ParentAlive:
    """What a child's sender asks before each try instead of the ledger: the claim is the parent's and holds
    while the parent lives (it renews the lease); once it is gone, the next `opsctl deliver` may take over."""

    ask_first = True  # also before the first try: the parent may have died while this child was importing

    def __init__(self, parent: int):
        self.parent = parent

    def holds(self, row_id: int) -> bool:
        return os.getppid() == self.parent


def _child(jobs: list, rules, pipe: int, parent: int) -> None:
    code = 1
    try:
        detach(parent)
        serve(jobs, rules, pipe, parent)
        code = 0
    finally:
        os._exit(code)  # nothing of the parent's (exit handlers, buffered output, connections) runs here


def detach(parent: int) -> None:
    """First thing in a child: end with the parent, and never hold the caller's pipes open."""
    _die_with(parent)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)


def serve(jobs: list, rules, pipe: int, parent: int, children: list | tuple = ()) -> None:
    """In a child: send the jobs, each outcome written to `pipe` as it arrives (and those its own `children`
    report, relayed)."""
    from ..channels import http
    from .sending import Senders

    http.POOL = http.Pool()  # the parent's idle connections are its own: never write on the same socket
    preload([job.channel for job in jobs])  # the long part, before asking the parent
    writing = threading.Lock()  # one line at a time, whatever its length

    def report(done) -> None:  # by each sender thread, as it finishes a job: the parent records it at once
        job, result = done
        entry = {"id": job.row["id"], **({"never": True} if result is None else _encode(result))}
        with writing:
            _report(pipe, entry)

    senders = Senders(jobs, _ParentAlive(parent), rules, children, report=report)
    senders.wait()
    for job in senders.stop():  # not started by the deadline (every sender hung): given back at once
        report((job, None))


def preload(channels) -> None:
    """Import the heavy client libraries the channels' sends use, and what those import on first use."""
    import_quietly(dict.fromkeys(name for channel in channels if channel.client_library
                                 for name in (channel.client_library, *channel.client_lazy)))


def import_quietly(names) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # the send says what is missing


def _die_with(parent: int) -> None:
    """Where the kernel offers it (Linux), end with the parent, as its sender threads would: a parent killed
    mid-send must not leave a child finishing a send nobody will record (the rows get sent again)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):  # no prctl here: the parent is asked before each try instead
        pass
    if os.getppid() != parent:  # it died before the line above took effect
        os._exit(1)


def _report(pipe: int, entry: dict) -> None:
    data = json.dumps(entry).encode() + b"\n"
    while data:
        data = data[os.write(pipe, data):]


def follow(child: Child, put, deadline: float) -> None:
    """In the parent: `put` what the child reports as (job, Sent | DeliveryError | None for never
    started), until it ends or `deadline` (monotonic) passes. A child that ended without reporting a
    job leaves its outcome unknown: a transient failure, tried again later."""
    jobs = {job.row["id"]: job for job in child.jobs}
    pending, ended = b"", False
    try:
        while True:  # to the end of the pipe, so the child can be reaped at once
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([child.pipe], [], [], left)[0]:
                return  # still sending when the budget ended: its rows stay claimed
            chunk = os.read(child.pipe, 65536)
            if not chunk:
                break
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                entry = json.loads(line)
                job = jobs.pop(entry["id"], None)
                if job is not None:
                    put((job, None if entry.get("never") else _decode(entry)))
        ended = True
        for job in jobs.values():
            put((job, Transient(f"{job.channel.channel}: {LOST}", later_only=True)))
    finally:
        os.close(child.pipe)
        try:
            os.waitpid(child.pid, 0 if ended else os.WNOHANG)  # else reaped by init once we exit
        except ChildProcessError:
            pass


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

