"""The PostgreSQL ledger: a psycopg 3 connection with the surface of sqlite3's.

Imported only when OPSCTL_DB is a postgresql:// URL. Autocommit outside
`transaction(conn)`; rows answer by name and by position like sqlite3.Row.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import psycopg

from ..errors import LedgerUnavailable
from . import dialect
from .db import Conflict
from .url import host_port, mask

CONNECT_TIMEOUT_SECONDS = 10
MIGRATE_LOCK = "opsctl:migrate"
NOTIFY_CHANNEL = "opsctl_events"
# what the server says when it rolls a transaction back to let another finish (SQLSTATE 40P01, 40001)
UNDONE = (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)


class IntegrityError(sqlite3.IntegrityError):
    """A constraint said no (unique, not null): the same class callers catch on SQLite."""


class Row(tuple):
    __slots__ = ()
    _index: dict

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self):
        return list(self._index)


def _row_factory(cursor):
    names = [column.name for column in cursor.description or ()]
    cls = type("Row", (Row,), {"_index": {name: i for i, name in enumerate(names)}, "__slots__": ()})
    return lambda values: cls(values)


def _adapt(params):
    if params is None:
        return None
    if isinstance(params, dict):
        return params
    return [int(p) if isinstance(p, bool) else p for p in params]


class Cursor:
    def __init__(self, raw, lastrowid=None):
        self._raw = raw
        self.lastrowid = lastrowid

    @property
    def rowcount(self) -> int:
        return self._raw.rowcount

    def fetchone(self):
        return self._raw.fetchone() if self._raw.description else None

    def fetchall(self):
        return self._raw.fetchall() if self._raw.description else []

    def __iter__(self):
        return iter(self.fetchall())


class Connection:
    backend = "postgresql"

    def __init__(self, raw, url: str):
        self.raw = raw
        self.url = url
        self.in_transaction = False
        self._identity: set | None = None

    @property
    def where(self) -> str:
        return mask(self.url)

    def execute(self, sql: str, params=()) -> Cursor:
        table = dialect.insert_table(sql)
        returning = table is not None and table in self.identity_tables()
        sql = sql + " RETURNING id" if returning else sql
        text = dialect.named(sql) if isinstance(params, dict) else dialect.query(sql)
        try:
            if self.in_transaction and text.lstrip()[:6].upper() == "UPDATE":
                # SQLite undoes only the failed statement; PostgreSQL would abort the whole
                # transaction: a savepoint keeps it usable for the caller that handles the error
                with self.raw.transaction():
                    raw = self.raw.execute(text, _adapt(params) or None)
            else:
                raw = self.raw.execute(text, _adapt(params) or None)
        except psycopg.errors.IntegrityError as exc:
            raise IntegrityError(str(exc).splitlines()[0]) from exc
        except UNDONE as exc:
            raise conflict(self.url, exc) from None
        except psycopg.OperationalError as exc:
            raise unavailable(self.url, exc) from None
        if returning:
            row = raw.fetchone()
            return Cursor(raw, row[0] if row else None)
        return Cursor(raw)

    def executemany(self, sql: str, seq) -> None:
        with self.raw.cursor() as cur:
            cur.executemany(dialect.query(sql), [_adapt(p) for p in seq])

    def executescript(self, script: str) -> None:
        self.raw.execute(dialect.ddl(script))

    def identity_tables(self) -> set:
        if self._identity is None:
            self._identity = {row[0] for row in self.raw.execute(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND column_name = 'id' AND is_identity = 'YES'")}
        return self._identity

    def tables(self) -> list[str]:
        return [row[0] for row in self.raw.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            " AND table_type = 'BASE TABLE' ORDER BY table_name")]

    def columns(self, table: str) -> list[str]:
        return [row[0] for row in self.raw.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = %s ORDER BY ordinal_position", (table,))]

    def commit(self) -> None:  # autocommit: nothing pending outside transaction()
        pass

    def close(self) -> None:
        self.raw.close()


def unavailable(url: str, exc: Exception) -> LedgerUnavailable:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    reason = reason.replace(url, mask(url))
    return LedgerUnavailable(f"cannot reach the PostgreSQL ledger at {host_port(url)} ({mask(url)}): {reason}; "
                             "check OPSCTL_DB and that the server is running")


def conflict(url: str, exc: Exception) -> Conflict:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return Conflict(f"the PostgreSQL ledger at {host_port(url)} undid a write to resolve a conflict with another "
                    f"writer ({reason}); nothing was written, run the command again")


def connect(url: str) -> Connection:
    try:
        raw = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS,
                              row_factory=_row_factory, application_name="opsctl",
                              # values bound in the client: `? IS NULL` and untyped parameters work as
                              # on SQLite, and statements stay plain text (safe behind PgBouncer)
                              cursor_factory=psycopg.ClientCursor)
    except (psycopg.Error, ValueError) as exc:
        raise unavailable(url, exc) from None
    conn = Connection(raw, url)
    from .pg_migrate import ensure_migrated

    ensure_migrated(conn)
    return conn


@contextmanager
def transaction(conn: Connection):
    """BEGIN … COMMIT at READ COMMITTED: no global lock, each statement sees what others committed.

    Read-then-write inside is safe because every such step takes what it depends on first: a
    keyed lock (`lock`, e.g. one fingerprint), the row (`dialect.for_update`), a unique index
    (INSERT … ON CONFLICT) or a compare-and-set UPDATE; see docs/postgres.md.
    """
    if conn.in_transaction:
        raise RuntimeError("transaction() does not nest")
    # READ COMMITTED even when the server defaults to more: the steps above rely on each statement
    # seeing rows committed while it waited for a lock (and it never fails with 40001)
    conn.raw.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
    conn.in_transaction = True
    try:
        yield conn
    except BaseException:
        conn.in_transaction = False
        if not conn.raw.closed:
            conn.raw.execute("ROLLBACK")
        raise
    else:
        conn.in_transaction = False
        try:
            conn.raw.execute("COMMIT")
        except psycopg.errors.IntegrityError as exc:
            raise IntegrityError(str(exc).splitlines()[0]) from exc
        except UNDONE as exc:
            raise conflict(conn.url, exc) from None


def lock(conn: Connection, name: str) -> None:
    """A transaction-level advisory lock on `name`, held until COMMIT/ROLLBACK (safe behind PgBouncer)."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (name,))


def notify(conn: Connection, subject: str, subject_id: int) -> None:
    """Wake `opsctl wait` on every host: delivered when the surrounding transaction commits."""
    conn.raw.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, f"{subject}-{subject_id}"))


def notify_many(conn: Connection, subject: str, subject_ids: list[int]) -> None:
    """`notify` for many records of one subject, in one statement."""
    if subject_ids:
        conn.raw.execute("SELECT pg_notify(%s, %s || '-' || id) FROM unnest(%s::bigint[]) AS id",
                         (NOTIFY_CHANNEL, subject, list(subject_ids)))
