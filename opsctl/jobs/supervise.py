"""Run one job command under supervision: own process group, live output,
timeout with TERM-then-KILL, signal forwarding, metrics and a scrubbed tail."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime

from opsctl import clock
from opsctl.errors import ExitCode, InvalidInput
from opsctl.jobs import metrics as job_metrics
from opsctl.jobs.output import Pump, Tail
from opsctl.jobs.plain import Plain

TYPE_CHECKING = False  # typing costs start-up that `opsctl run` cannot spare; annotations are strings here
if TYPE_CHECKING:
    from typing import BinaryIO, Mapping, Sequence

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_POLL = 0.02


class RunResult(Plain):
    """job; status SUCCESS | ERROR | TIMEOUT (SKIPPED from opsctl.jobs.service); exit_code; started_at and
    finished_at (datetimes); duration_seconds; tail (scrubbed); metrics (dict); message."""

    FIELDS = ("job", "status", "exit_code", "started_at", "finished_at", "duration_seconds", "tail", "metrics",
              "message")
    DEFAULTS = {"metrics": dict, "message": ""}

    def facts(self) -> dict:
        """Names visible to alert rules: metrics, overridden by the core fields."""
        core = {"job": self.job, "status": self.status, "exit_code": self.exit_code,
                "duration_seconds": self.duration_seconds}
        return {**self.metrics, **core}


def run(
    job: str,
    args: Sequence[str],
    *,
    timeout: float | None = None,
    grace: float = 5.0,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    tail_lines: int = 50,
    tail_bytes: int = 8192,
    stdout: BinaryIO | None = None,
    stderr: BinaryIO | None = None,
    keep_fds: Sequence[int] = (),
) -> RunResult:
    """Run `args` (no shell) and wait for it and its whole process group.

    stdout/stderr default to our own (binary) streams. keep_fds are inherited by
    the job, e.g. the lock fd so the lock outlives a crash of this process.
    """
    if not args:
        raise InvalidInput("no command given to run")
    started_at, began = clock.now(), time.monotonic()
    metrics_path = _metrics_file()
    from ..childenv import child_env as without_secrets

    child_env = without_secrets(env, **{job_metrics.ENV: metrics_path, "OPSCTL_JOB": job})
    try:
        try:
            proc = subprocess.Popen(
                list(args), env=child_env, cwd=cwd, start_new_session=True, pass_fds=tuple(keep_fds),
                preexec_fn=_die_with_parent(),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )
        except OSError as exc:
            return _launch_failure(job, args[0], exc, started_at)
        tail = Tail(tail_lines, tail_bytes)
        pumps = [Pump(proc.stdout, _binary(stdout, sys.stdout), tail),
                 Pump(proc.stderr, _binary(stderr, sys.stderr), tail)]
        for pump in pumps:
            pump.start()
        try:
            timed_out, stopped_by = _wait(proc, timeout, grace)
        except BaseException:  # never leave a job running unsupervised
            _killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        _sweep_group(proc.pid, pumps, grace)
        returncode = proc.wait()
        found = job_metrics.from_line(pumps[0].last_line)
        from_file, problem = job_metrics.from_file(metrics_path)
    finally:
        os.unlink(metrics_path)
    status, exit_code, message = _outcome(returncode, timed_out, stopped_by, timeout)
    if problem:
        message = f"{message}; {problem}" if message else problem
    return RunResult(job, status, exit_code, started_at, clock.now(),
                     round(time.monotonic() - began, 3), _scrubbed(tail.text()), {**found, **from_file}, message)


def _wait(proc: subprocess.Popen, timeout: float | None, grace: float) -> tuple[bool, int | None]:
    """Poll until the job's main process exits, without reaping it (the zombie keeps
    its pid, hence the group id, from being reused while we still signal the group)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    kill_at = None
    timed_out = False
    received: list[int] = []

    def forward(signum, _frame):
        received.append(signum)
        _killpg(proc.pid, signum)

    pause = _ExitPause(proc.pid)
    try:
        with _forwarding(forward):
            while not _exited(proc.pid):
                now = time.monotonic()
                if deadline is not None and now >= deadline and not timed_out:
                    timed_out = True
                    _killpg(proc.pid, signal.SIGTERM)
                if (timed_out or received) and kill_at is None:
                    kill_at = now + grace  # we are asked to stop: give the job `grace`, then KILL
                if kill_at is not None and now >= kill_at:
                    _killpg(proc.pid, signal.SIGKILL)
                    kill_at = float("inf")
                pause(_POLL)
    finally:
        pause.close()
    return timed_out, (received[0] if received else None)


class _ExitPause:
    """Sleep up to `seconds`, waking as soon as the process exits (a pidfd where the OS has
    them, else short sleeps growing to `seconds`): a quick job costs no polling delay."""

    def __init__(self, pid: int):
        self.step = 0.001
        try:
            self.fd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.fd = None

    def __call__(self, seconds: float) -> None:
        if self.fd is None:
            time.sleep(min(self.step, seconds))
            self.step *= 2
            return
        import select

        select.select([self.fd], [], [], seconds)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _sweep_group(pgid: int, pumps: list[Pump], grace: float) -> None:
    """The main process is gone; anything left in its group belongs to this run
    and would otherwise outlive it (and hold our pipes open): TERM, then KILL."""
    _killpg(pgid, signal.SIGTERM)
    end = time.monotonic() + grace
    for pump in pumps:
        pump.join(max(0.0, end - time.monotonic()))
    if any(p.is_alive() for p in pumps):
        _killpg(pgid, signal.SIGKILL)
        for pump in pumps:
            pump.join(1.0)  # still open: a descendant escaped the group (setsid); give up on it


def _outcome(returncode: int, timed_out: bool, stopped_by: int | None, timeout) -> tuple[str, int, str]:
    if timed_out:
        return "TIMEOUT", int(ExitCode.TIMEOUT), f"timed out after {timeout:g}s"
    exit_code = returncode if returncode >= 0 else 128 - returncode
    status = "SUCCESS" if returncode == 0 else "ERROR"
    if returncode < 0:
        message = f"killed by {signal.Signals(-returncode).name}"
    else:
        message = "" if returncode == 0 else f"exited with code {returncode}"
    if stopped_by is not None:
        note = f"opsctl received {signal.Signals(stopped_by).name}, forwarded to the job"
        message = f"{note}; {message}" if message else note
    return status, exit_code, message


def _launch_failure(job: str, command: str, exc: OSError, started_at: datetime) -> RunResult:
    if isinstance(exc, FileNotFoundError):
        code, message = 127, f"command not found: {command}"
    elif isinstance(exc, PermissionError):
        code, message = 126, f"permission denied: {command}"
    else:
        code, message = 126, f"cannot execute {command}: {exc.strerror or exc}"
    return RunResult(job, "ERROR", code, started_at, clock.now(), 0.0, "", {}, message)


class _forwarding:
    """Install `handler` for FORWARDED signals for the duration; no-op off the main thread."""

    def __init__(self, handler):
        self.handler, self.previous = handler, {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in FORWARDED:
                self.previous[signum] = signal.signal(signum, self.handler)

    def __exit__(self, *exc):
        for signum, previous in self.previous.items():
            signal.signal(signum, previous)


def _exited(pid: int) -> bool:
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _killpg(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _metrics_file() -> str:
    """An empty private file for $OPSCTL_METRICS (tempfile.mkstemp's guarantees, without importing
    tempfile: it costs more start-up than the rest of a `true` run)."""
    folder = os.environ.get("TMPDIR") or "/tmp"
    for _ in range(100):
        path = os.path.join(folder, f"opsctl-metrics-{os.urandom(6).hex()}.json")
        try:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a metrics file in {folder}")


def _binary(given: BinaryIO | None, default) -> BinaryIO | None:
    return given if given is not None else getattr(default, "buffer", None)


def _scrubbed(text: str) -> str:
    from ..scrub import scrub

    return scrub(text) if text else text


def _die_with_parent():
    """In the child, before exec: SIGKILL when the supervisor dies (Linux PR_SET_PDEATHSIG), so a
    killed `opsctl run` never leaves its job running past its timeout, unsupervised."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def arm() -> None:
        prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the supervisor died before the signal was armed
            os._exit(137)

    return arm
