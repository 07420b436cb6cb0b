"""Flapping: an error that keeps coming back is marked, and its reopens stop being announced.

`flapping` is recomputed at every reopen (regression) from the event log: with at least
`escalation.flapping.reopens` reopens (default 3) inside `escalation.flapping.window` (default
24h) the error is flapping; a reopen after a calm spell clears the mark and is announced again.
Announcing skips flapping errors (`api.errors._announce`), except for the one notice that says
the error has started flapping.
"""

from __future__ import annotations

from datetime import timedelta

from ..clock import parse_iso, to_iso
from ..ledger import errors_table
from ..ledger.events import add_event, count_since


def recheck(ctx, row, at: str) -> bool:
    """Update the mark after a reopen of `row`; True when it has just started flapping."""
    from .policy import load

    policy = load(ctx)
    was = bool(row["flapping"])
    if policy.flapping_reopens == 0:
        now_flapping = False
        reopens = 0
    else:
        since = to_iso(parse_iso(at) - timedelta(seconds=policy.flapping_window))
        reopens = count_since(ctx.conn, "error", row["id"], "regressed", since=since)
        now_flapping = reopens >= policy.flapping_reopens
    if now_flapping != was:
        errors_table.set_flapping(ctx.conn, row["id"], now_flapping)
        add_event(ctx.conn, "error", row["id"], "flapping" if now_flapping else "settled", at=at, actor=ctx.actor,
                  data={"reopens": reopens, "window_seconds": policy.flapping_window})
    return now_flapping and not was


def notice_fact(row) -> dict:
    return {"Flapping": f"reopened {row['regressions']} times; further reopens are recorded but not announced "
                        "until it settles"}
