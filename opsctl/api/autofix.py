"""The second half of `notify_error` when a remediation rule matched: run it, then resolve or notify.

See `opsctl.escalation.remediation` for the rules and the claim; this part needs the status
machinery of `api.errors`, so it lives beside it.
"""

from __future__ import annotations

from ..clock import now, parse_iso, to_iso
from ..context import Context
from ..escalation import remediation
from ..ledger import errors_table, transaction
from ..vocab import OPEN_STATUSES
from .. import lifecycle
from .errors import _announce, _notify_now, _set_status


def remediate(ctx: Context, recorded, rule) -> dict:
    """Run the claimed fix outside any transaction, then resolve or notify."""
    outcome = remediation.run(rule, recorded.row)
    at_moment = now()
    at = to_iso(at_moment)
    with transaction(ctx.conn):
        row = errors_table.get(ctx.conn, recorded.row["id"], for_update=True)
        remediation.record_outcome(ctx, row, rule, outcome, at)
        notified_meanwhile = row["notified_at"] is not None  # tick took over (the fix overran)
        event_id, plan = 0, []
        if outcome.ok and row["status"] in OPEN_STATUSES:
            seconds = max(0.0, (at_moment - parse_iso(row["opened_at"])).total_seconds())
            errors_table.update(ctx.conn, row["id"], {"solution": outcome.summary(rule), "resolution_seconds": seconds})
            event_id = _set_status(ctx, row, "resolved", at, note=outcome.summary(rule),
                                   data={"resolution_seconds": seconds, "remediation": rule.name})
            if notified_meanwhile:
                plan = lifecycle.enqueue_error(ctx, row["id"], event_id, "update")
        elif not outcome.ok and not notified_meanwhile:
            _notify_now(ctx, row, at)
            plan = lifecycle.enqueue_error(ctx, row["id"], recorded.event_id, "notify",
                                           facts=remediation.failure_facts(rule, outcome))
        recorded.row = errors_table.get(ctx.conn, row["id"])
        recorded.event_id = event_id or recorded.event_id
    if outcome.ok:
        result = _announce(ctx, recorded, purpose="update", plan=plan)
    else:
        result = _announce(ctx, recorded, purpose="notify", plan=plan, facts=remediation.failure_facts(rule, outcome))
    result["remediation"] = outcome.public(rule)
    return result
