"""The ledger: SQLite or PostgreSQL behind one surface; schema, migrations and the queries on each table."""

from .db import connect, lock, retrying, transaction

__all__ = ["connect", "lock", "retrying", "transaction"]
