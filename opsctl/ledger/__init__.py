"""The ledger: SQLite or PostgreSQL behind one surface; schema, migrations and the queries on each table."""

from .db import connect, lock, transaction

__all__ = ["connect", "lock", "transaction"]
