"""The SQLite ledger: schema, migrations and the queries on each table."""

from .db import connect, transaction

__all__ = ["connect", "transaction"]
