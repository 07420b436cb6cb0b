"""Opening the ledger: one SQLite file, WAL, a busy timeout, migrations on open."""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from ..errors import OperationalFailure
from .migrations import MIGRATIONS

BUSY_TIMEOUT_SECONDS = 60


def connect(path: str | os.PathLike) -> sqlite3.Connection:
    """Open (creating and migrating as needed) the ledger at `path`."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OperationalFailure(
            f"cannot create the ledger folder {path.parent}: {exc.strerror}; "
            "set OPSCTL_HOME or OPSCTL_DB to a writable place"
        ) from None
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version < len(MIGRATIONS):
            _migrate(conn, path)
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as exc:
        raise _explain(exc, path) from None
    return conn


def _explain(exc: sqlite3.DatabaseError, path: Path) -> OperationalFailure:
    text = str(exc)
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return OperationalFailure(
            f"the ledger {path} is corrupt or not an opsctl ledger ({text}); "
            "move it aside (or point OPSCTL_DB elsewhere) and run again"
        )
    if "readonly" in text or "unable to open" in text:
        return OperationalFailure(
            f"cannot write the ledger {path} ({text}); check its permissions or set OPSCTL_DB"
        )
    return OperationalFailure(f"ledger {path}: {text}")


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    # Many processes may open a new ledger at once: an OS lock beside the file
    # makes exactly one of them migrate, the others wait and find it done.
    import fcntl

    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    lock_path = path.with_name(path.name + ".migrate.lock")
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if conn.execute("PRAGMA user_version").fetchone()[0] >= len(MIGRATIONS):
            return
        conn.execute("PRAGMA journal_mode = WAL")
        migrations = Migrations("opsctl")
        for fn in MIGRATIONS:
            migrations(name=fn.__name__)(fn)
        migrations.apply(Database(conn))
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")


@contextmanager
def transaction(conn: sqlite3.Connection):
    """BEGIN IMMEDIATE: take the write lock up front so read-then-write is safe."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
