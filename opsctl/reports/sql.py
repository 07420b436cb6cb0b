"""SQL helpers shared by the reports: percentiles in one sorted pass, seconds between timestamps."""

from __future__ import annotations

import sqlite3


def seconds_between(start: str, end: str) -> str:
    """An SQL expression: seconds from column `start` to column `end` (ISO-8601 text)."""
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


def percentiles(conn: sqlite3.Connection, value_sql: str, from_where: str, params, ps=(0.5, 0.9)) -> dict:
    """Nearest-rank percentiles of `value_sql` over `FROM ... WHERE ...`, plus the count.

    One query: the values are numbered in order once; the wanted ranks are picked by SQL.
    """
    ranks = ", ".join(f"MAX(1, CAST(n * {p!r} + 0.9999999 AS INTEGER))" for p in ps)
    sql = (f"SELECT v, rn, n FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS rn, COUNT(*) OVER () AS n"
           f" FROM (SELECT {value_sql} AS v {from_where}) WHERE v IS NOT NULL) WHERE rn IN ({ranks})")
    rows = conn.execute(sql, params).fetchall()
    out = {"count": rows[0][2] if rows else 0}
    by_rank = {row[1]: row[0] for row in rows}
    for p in ps:
        n = out["count"]
        rank = max(1, int(n * p + 0.9999999)) if n else None
        out[f"p{int(round(p * 100))}"] = None if rank is None else round(by_rank[rank], 3)
    out["median"] = out.pop("p50", None)
    return out
