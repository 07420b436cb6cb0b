"""A sender forked when `notify-error` starts, so the slow part of sending overlaps the rest of the command.

notify-error spends its first ~50 ms parsing, reading the config and recording; then it sends, and
a Notion page waits for notion-client (with httpx) to be imported, about as long again. Forked
before all that (no thread, no ledger connection yet), a child imports the heavy client libraries
of the configured channels on the other core meanwhile, then waits. When the command's sends are
due, `forked.start` hands it the jobs `forked.split` sends away (over a pipe, pickled) and it sends
them like any forked child (`forked.serve`), reporting on its own pipe. No jobs for it (a
duplicate, nothing routed there, `--help`): the pipe is closed, or this process ends, and it exits.

Which libraries it imports is a guess from the configuration, as `split` will decide: every heavy
library of the usable channels, but the first when there are two or more (this process imports that
one itself, on its own core). A wrong guess costs time, never a notification: the child imports
what its jobs need before sending them.
"""

from __future__ import annotations

import importlib
import os
import pickle

from . import forked

COMMANDS = {"notify-error"}  # notifies at once, on an agent's critical path
# the standard library that slack-sdk and notion-client both import (asyncio alone takes ~20 ms): imported
# once, before the warm sender splits into one process per library (bench/bench_delivery.py)
SHARED = ("asyncio", "ssl", "logging", "http.client", "urllib.request", "concurrent.futures", "email.utils")

_waiting: Warm | None = None


class Warm:
    def __init__(self, pid: int, jobs_pipe: int, outcomes_pipe: int):
        self.pid, self.jobs_pipe, self.outcomes_pipe = pid, jobs_pipe, outcomes_pipe  # our ends

    def hand(self, jobs: list, rules) -> forked.Child | None:
        """Give it the jobs; the child to follow, or None when it is gone (the caller forks anew)."""
        try:
            data = pickle.dumps((jobs, rules), protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):  # a plug-in channel holding a client, a lock…
            self.release()
            return None
        try:
            while data:
                data = data[os.write(self.jobs_pipe, data):]
        except OSError:  # it died (EPIPE): nothing was sent for these jobs
            self.release()
            return None
        os.close(self.jobs_pipe)
        return forked.Child(self.pid, self.outcomes_pipe, jobs)

    def release(self) -> None:
        """No jobs for it: it reads the end of its pipe and exits."""
        for fd in (self.jobs_pipe, self.outcomes_pipe):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            pass


def start(command: str | None) -> None:
    """At the start of the executable, before any thread: fork the warm sender when `command` may use it."""
    if command in COMMANDS and _waiting is None and forked.may_spread():  # may_spread: POSIX, two cores or more
        _fork(None)


def _fork(heavy: list | None) -> None:
    global _waiting
    jobs_read, jobs_write = os.pipe()
    outcomes_read, outcomes_write = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns (tests see it through the executable)
        os.close(jobs_write)
        os.close(outcomes_read)
        _child(jobs_read, outcomes_write, parent, heavy)
    os.close(jobs_read)
    os.close(outcomes_write)
    _waiting = Warm(pid, jobs_write, outcomes_read)


def take() -> Warm | None:
    """The waiting warm sender, once (the first sends of the command are the ones it was started for)."""
    global _waiting
    found, _waiting = _waiting, None
    return found


def _child(jobs_pipe: int, outcomes_pipe: int, parent: int, heavy: list | None) -> None:
    code = 1
    try:
        forked.detach(parent)
        if heavy is None:  # the first warm sender: which client libraries will the configured channels use?
            heavy = _heavy_channels()
            if len(heavy) > 1:
                _import(SHARED)  # once, before this sender splits in two
        if len(heavy) > 1:
            _fork(heavy[1:])  # the other libraries on the other core: it gets their jobs from this process
        forked.preload(heavy[:1])
        data = _read_all(jobs_pipe)
        if data:
            jobs, rules = pickle.loads(data)
            children, jobs = forked.start(jobs, rules) if _waiting is not None else ([], jobs)
            forked.serve(jobs, rules, outcomes_pipe, parent, children)
        code = 0
    finally:
        os._exit(code)


def _import(modules) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def _heavy_channels() -> list:
    """One usable channel per heavy client library, in the order of the configuration."""
    try:
        from ..context import Context

        channels = Context().channels
    except Exception:  # noqa: BLE001 - a broken config: the command itself reports it
        return []
    first: dict[str, object] = {}
    for channel in channels:
        if channel.client_library and channel.missing() is None:
            first.setdefault(channel.client_library, channel)
    return list(first.values())


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)
