"""Opening the ledger: an SQLite file (WAL, a busy timeout) or a PostgreSQL URL; migrations on open.

Both backends give the same surface: `conn.execute(sql, params)` with `?`
placeholders, rows by column name, `transaction(conn)`, `retrying(conn, work)`,
`lock(conn, name)` and `conn.backend`. psycopg is imported only for a postgresql:// target.
"""

from __future__ import annotations

import os
import sqlite3
import weakref
from contextlib import contextmanager
from pathlib import Path

from ..errors import LedgerUnavailable
from .failures import classify
from .migrations import MIGRATIONS
from .url import is_postgres, target_of

BUSY_TIMEOUT_SECONDS = 60


class Conflict(LedgerUnavailable):
    """PostgreSQL undid a transaction to break a deadlock (40P01) or a serialization failure (40001).

    Nothing of it was written; `retrying` runs the unit of work again."""


def busy_timeout() -> float:
    """Seconds a writer waits for the lock: OPSCTL_BUSY_TIMEOUT, default 60."""
    try:
        value = float(os.environ.get("OPSCTL_BUSY_TIMEOUT") or BUSY_TIMEOUT_SECONDS)
    except ValueError:
        return BUSY_TIMEOUT_SECONDS
    return min(max(value, 0.0), 3600.0) if value == value else BUSY_TIMEOUT_SECONDS


def private_umask():
    """Files and folders opsctl creates are 0600/0700: returns the previous umask to restore."""
    return os.umask(0o077)


class SqliteConnection(sqlite3.Connection):
    """sqlite3's own connection, plus the attributes the PostgreSQL one has."""

    backend = "sqlite"

    @property
    def where(self) -> str:
        return self.execute("PRAGMA database_list").fetchone()["file"]

    def tables(self) -> list[str]:
        return [row[0] for row in self.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]

    def columns(self, table: str) -> list[str]:
        return [row[1] for row in self.execute(f'PRAGMA table_info("{table}")')]


_OPEN: weakref.WeakSet = weakref.WeakSet()  # for close_all: the connections not yet garbage


def connect(where) -> SqliteConnection:
    """Open (creating and migrating as needed) the ledger: a Settings, a path or a postgresql:// URL."""
    target = target_of(where)
    if is_postgres(target):
        from . import pg

        conn = pg.connect(target)
    else:
        previous = private_umask()  # the ledger, -wal, -shm and lock files are born 0600
        try:
            conn = _open(Path(target))
        finally:
            os.umask(previous)
    _OPEN.add(conn)
    return conn


def close_all() -> None:
    """Close every ledger connection still open (the CLI's exit, which skips the interpreter's teardown)."""
    for conn in list(_OPEN):
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - closing at exit: nothing left to tell
            pass


def _open(path: Path) -> SqliteConnection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LedgerUnavailable(
            f"cannot create the ledger folder {path.parent}: {exc.strerror}; "
            "set OPSCTL_HOME or OPSCTL_DB to a writable place"
        ) from None
    timeout = busy_timeout()
    try:
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, factory=SqliteConnection)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version < len(MIGRATIONS):
            _migrate(conn, path)
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as exc:
        raise _explain(exc, path) from None
    except OSError as exc:
        raise classify(exc, path) or LedgerUnavailable(f"cannot open the ledger {path}: {exc}") from None
    return conn


def quick_check(conn: sqlite3.Connection) -> str | None:
    """None when `PRAGMA quick_check` finds the file sound, else what it found (first line).

    A PostgreSQL server keeps its own data sound: nothing to check from here."""
    if conn.backend != "sqlite":
        return None
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    found = [row[0] for row in rows]
    return None if found == ["ok"] else "; ".join(found[:3])


def _explain(exc: sqlite3.DatabaseError, path: Path):
    return classify(exc, path)


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
    _tighten(path)


def _tighten(path: Path) -> None:
    """A ledger created by an older opsctl (0644): make it and its companions private."""
    for suffix in ("", "-wal", "-shm", ".migrate.lock"):
        candidate = path.with_name(path.name + suffix)
        try:
            if candidate.exists() and candidate.stat().st_mode & 0o077:
                candidate.chmod(0o600)
        except OSError:
            pass


def transaction(conn):
    """One write step: read-then-write inside is safe on both backends.

    SQLite: BEGIN IMMEDIATE takes the write lock up front (one writer at a time). PostgreSQL:
    BEGIN at READ COMMITTED, no global lock: writers of different records run side by side, and
    each read-then-write step locks what it depends on (`lock`, `dialect.for_update`, unique
    indexes, compare-and-set UPDATEs). See docs/postgres.md.
    """
    if conn.backend == "postgresql":
        from . import pg

        return pg.transaction(conn)
    return _sqlite_transaction(conn)


ATTEMPTS = 3


def retrying(conn, work, *, attempts: int = ATTEMPTS):
    """`work()` in one transaction, its result returned; run again when PostgreSQL undid it.

    A deadlock (40P01) or serialization failure (40001) rolls the whole transaction back, so
    nothing of it was written and running it again is safe. `work` must only touch the ledger.
    """
    for attempt in range(1, attempts + 1):
        try:
            with transaction(conn):
                return work()
        except Conflict:
            if attempt == attempts:
                raise


def lock(conn, name: str) -> None:
    """Hold the lock `name` until the surrounding transaction ends (no-op on SQLite: BEGIN IMMEDIATE holds it).

    For a read-then-write about something that may not have a row yet (a fingerprint, a tool)."""
    if conn.backend == "postgresql":
        from . import pg

        pg.lock(conn, name)


@contextmanager
def _sqlite_transaction(conn: sqlite3.Connection):
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
