"""Ending the `opsctl` process without the interpreter's teardown.

When a command is done, Python would free every module, class and object one by one before the
process ends: 20-40 ms here for typer, the channels' clients and opsctl, paid by every call an
agent or cron makes, for memory the kernel takes back at once anyway. So the executable leaves
with `os._exit` once everything that teardown would do for us is done by hand:

- exit handlers run (`atexit`: logging flushes its handlers, temporary folders are removed…);
- the ledger connections still open are closed (SQLite checkpoints its WAL, PostgreSQL ends its
  session cleanly);
- stdout and stderr are flushed (a closed pipe is not an error, as elsewhere in the CLI).

A thread still working (not a daemon) gets the ordinary ending: Python waits for it.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading


def leave(code: int) -> None:
    """End the process with `code`, without the interpreter's teardown when nothing needs it."""
    if any(t is not threading.main_thread() and t.is_alive() and not t.daemon for t in threading.enumerate()):
        raise SystemExit(code)
    atexit._run_exitfuncs()  # noqa: SLF001 - what Py_Finalize would run first
    ledger = sys.modules.get("opsctl.ledger.db")  # imported only by commands that opened the ledger
    if ledger is not None:
        ledger.close_all()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # the reader went away, or the stream is closed
            pass
    os._exit(code)
