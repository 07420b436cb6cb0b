"""Senders forked as `notify-error` starts, so importing the client libraries overlaps the rest of the command.

notify-error spends its first ~50 ms parsing, reading the config and recording; importing
slack-sdk and notion-client (with httpx) takes about as long again, more than sending. So before
all that (no thread, no ledger connection yet) the command forks a warm sender. It reads the
configuration, imports the standard library both libraries share once, forks one more sender per
further library, and imports its own; then each waits on a pipe. When the command's sends are due,
`forked.start` hands every heavy-library job to the first warm sender (pickled), which hands the
other libraries' jobs on to the senders it forked; each sends like any forked child
(`forked.serve`) and the first relays their outcomes with its own. No jobs (a duplicate, `--help`,
nothing routed there): its pipe is closed, or the command ends and takes the senders with it.

Which libraries to import is a guess from the configuration; a wrong guess costs time, never a
notification, as a sender imports what its jobs need before sending them.
"""

from __future__ import annotations

import os
import pickle

from . import forked

# the standard library that slack-sdk and notion-client both import (asyncio alone takes ~20 ms): imported
# once, before the warm sender splits into one process per library (bench/bench_delivery.py)
SHARED = ("asyncio", "ssl", "logging", "http.client", "urllib.request", "concurrent.futures", "email.utils", "uuid",
          "platform", "mimetypes")

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


def start() -> None:
    """At the start of the executable (of a command in `cli.WARM`), before any thread: fork the warm sender."""
    if _waiting is None and forked.may_spread():  # may_spread: the executable, POSIX, two cores or more
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
                forked.import_quietly(SHARED)  # once, before this sender splits in two
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
