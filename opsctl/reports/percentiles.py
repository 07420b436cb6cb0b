"""Percentiles: nearest-rank over values the ledger gave back sorted."""

from __future__ import annotations


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
