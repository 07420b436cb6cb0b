"""Percentiles: nearest-rank over sorted values (Python), and in SQL for `improvements show`."""

from __future__ import annotations

import sqlite3

def rank(count: int, p: float) -> int:
    """Nearest-rank: the 1-based position of percentile p among `count` sorted values."""
    return max(1, int(count * p + 0.9999999))


def nearest_rank(values: list[float], ps=(0.5, 0.9)) -> dict:
    """{"count", "median", "p90", …} of already sorted values (None when there are none)."""
    out: dict = {"count": len(values)}
    for p in ps:
        out[f"p{int(round(p * 100))}"] = round(values[rank(len(values), p) - 1], 3) if values else None
    out["median"] = out.pop("p50", None)
    return out


def percentiles(conn: sqlite3.Connection, value_sql: str, from_where: str, params, ps=(0.5, 0.9),
                count: int | None = None) -> dict:
    """Nearest-rank percentiles of `value_sql` over `FROM ... WHERE ...` (NULLs ignored), plus the count.

    The values are numbered in order by one SQL window pass; only the wanted ranks come back.
    Pass `count` when another aggregate already knows how many non-NULL values there are.
    """
    if count is None:
        count = conn.execute(f"SELECT COUNT({value_sql}) {from_where}", params).fetchone()[0]
    out: dict = {"count": count}
    wanted = {p: rank(count, p) for p in ps} if count else {}
    by_rank = {}
    if wanted:
        marks = ", ".join("?" * len(wanted))
        sql = (f"SELECT v, rn FROM (SELECT {value_sql} AS v, ROW_NUMBER() OVER (ORDER BY {value_sql}) AS rn"
               f" {from_where} AND {value_sql} IS NOT NULL) ranked WHERE rn IN ({marks})")
        by_rank = dict((rn, v) for v, rn in conn.execute(sql, (*params, *wanted.values())))
    for p in ps:
        value = by_rank.get(wanted.get(p))
        out[f"p{int(round(p * 100))}"] = None if value is None else round(value, 3)
    out["median"] = out.pop("p50", None)
    return out
