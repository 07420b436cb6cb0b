"""When an error's next escalation or reminder is due: `errors.next_escalation_at`.

The timer is derived from the ledger's own timestamps and stored on the row, so `opsctl tick`
finds due work with one indexed range query, and a tick that missed runs sees the same
deadlines a punctual one would have (then sends one catch-up notice, not one per missed run):

- entering `escalated` (the user was notified) at T: due at T + the tier's `after`;
- each notice sent by tick at S (S ≥ due): the next is due at S + the tier's next `repeat` gap,
  or never when the tier's `max` is reached;
- leaving `escalated` (acknowledged, resolved, false positive, reopened): no timer;
- a duplicate report that raises the impact (warning → blocking) brings the deadline forward.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..clock import parse_iso, to_iso


def _policy(ctx):
    from .policy import load

    return load(ctx)


def first_due(impact: str, sent: int, at: datetime, policy) -> str | None:
    tier = policy.tier(impact)
    if not tier.allows(sent):
        return None
    return to_iso(at + timedelta(seconds=tier.after))


def next_due(impact: str, sent: int, at: datetime, policy) -> str | None:
    """After notice number `sent` went out at `at`."""
    gap = policy.tier(impact).gap(sent)
    return None if gap is None else to_iso(at + timedelta(seconds=gap))


def on_status(ctx, row, target: str, at: str) -> dict:
    """The timer change that goes with a status change of `row` to `target` at `at`."""
    if target != "escalated":
        return {"next_escalation_at": None}
    if row["status"] == "escalated":
        return {}
    return {"next_escalation_at": first_due(row["impact"], row["escalations"], parse_iso(at), _policy(ctx))}


def on_impact_change(ctx, row, at: str) -> dict:
    """A worse impact reported for an escalated error: its deadline can only come closer."""
    if row["status"] != "escalated":
        return {}
    due = first_due(row["impact"], row["escalations"], parse_iso(at), _policy(ctx))
    current = row["next_escalation_at"]
    if due is None or (current is not None and current <= due):
        return {}
    return {"next_escalation_at": due}
