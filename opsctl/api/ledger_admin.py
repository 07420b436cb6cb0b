"""`opsctl ledger info|copy` as library calls."""

from __future__ import annotations

from ..context import Context, ensure
from ..errors import InvalidInput, OperationalFailure
from ..ledger import admin, connect, transaction
from ..ledger.url import is_postgres, mask


def info(ctx: Context | None = None) -> dict:
    """Which backend, where (password masked), schema version and row counts."""
    ctx = ensure(ctx)
    conn = ctx.conn
    return {"backend": conn.backend, "where": mask(conn.where) if is_postgres(conn.where) else conn.where,
            "schema_version": admin.schema_version(conn), "latest_schema_version": admin.latest_version(),
            "tables": admin.counts(conn)}


def copy(to: str, ctx: Context | None = None) -> dict:
    """Copy this (SQLite) ledger into an empty PostgreSQL ledger at `to`, ids kept."""
    if not is_postgres(to):
        raise InvalidInput(f"invalid --to {to!r}; valid: a postgresql://user:pass@host:port/db URL")
    ctx = ensure(ctx)
    source = ctx.conn
    if source.backend != "sqlite":
        raise InvalidInput("ledger copy reads an SQLite ledger; point OPSCTL_DB at the SQLite file to copy")
    target = connect(to)
    try:
        filled = {name: n for name, n in admin.counts(target).items() if n}
        if filled:
            listing = ", ".join(f"{name} ({n})" for name, n in sorted(filled.items()))
            raise OperationalFailure(f"the target ledger {mask(to)} is not empty: {listing}; "
                                     "copy into a new, empty database")
        with transaction(target):
            copied = admin.copy_rows(source, target)
    finally:
        target.close()
    return {"from": source.where, "to": mask(to), "copied": copied}
