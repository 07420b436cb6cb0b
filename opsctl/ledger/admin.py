"""Ledger-wide queries: what is where (info) and copying one ledger into another."""

from __future__ import annotations

from .migrations import MIGRATIONS

BOOKKEEPING = {"_sqlite_migrations", "schema_migrations"}


def tables(conn) -> list[str]:
    return [name for name in conn.tables() if name not in BOOKKEEPING]


def counts(conn) -> dict[str, int]:
    return {name: conn.execute(f'SELECT count(*) AS n FROM "{name}"').fetchone()["n"] for name in tables(conn)}


def schema_version(conn) -> int:
    if conn.backend == "postgresql":
        return conn.execute("SELECT count(*) AS n FROM schema_migrations").fetchone()["n"]
    return conn.execute("PRAGMA user_version").fetchone()[0]


def latest_version() -> int:
    return len(MIGRATIONS)


def copy_rows(source, target, *, batch: int = 1000) -> dict[str, int]:
    """Copy every table present in both, columns present in both, ids kept; then move the id sequences on.

    The caller checks the target is empty and holds `transaction(target)`.
    """
    copied: dict[str, int] = {}
    wanted = set(tables(target))
    for name in tables(source):
        if name not in wanted:
            continue
        columns = [c for c in source.columns(name) if c in set(target.columns(name))]
        quoted = ", ".join(f'"{c}"' for c in columns)
        insert = f'INSERT INTO "{name}" ({quoted}) VALUES ({", ".join("?" for _ in columns)})'
        if target.backend == "postgresql":
            insert = insert.replace(") VALUES", ") OVERRIDING SYSTEM VALUE VALUES", 1) \
                if "id" in columns else insert
        rows = source.execute(f'SELECT {quoted} FROM "{name}"').fetchall()
        for start in range(0, len(rows), batch):
            target.executemany(insert, [tuple(row) for row in rows[start:start + batch]])
        copied[name] = len(rows)
        if target.backend == "postgresql" and "id" in columns and name in target.identity_tables():
            target.execute(f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'),"
                           f' COALESCE((SELECT max(id) FROM "{name}"), 0) + 1, false)')
    return copied
