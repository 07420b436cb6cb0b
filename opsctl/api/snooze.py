"""`opsctl snooze ID 1h`: hold one error's escalation for a while (the timer moves to the snooze end)."""

from __future__ import annotations

from datetime import timedelta

from ..clock import now, to_iso
from ..context import Context, ensure
from ..errors import InvalidInput
from ..ids import format_id, parse_id


def snooze(error_id, duration: str, *, note: str | None = None, ctx: Context | None = None) -> dict:
    from ..durations import parse_duration
    from ..ledger import errors_table, people_table, transaction
    from ..ledger.events import add_event
    from ..vocab import OPEN_STATUSES

    number = parse_id("error", error_id)
    seconds = parse_duration(duration, "duration")
    if seconds <= 0:
        raise InvalidInput("the snooze must be longer than 0s, e.g. 30m, 1h, 1d")
    ctx = ensure(ctx)
    at = now()
    until = to_iso(at + timedelta(seconds=seconds))
    with transaction(ctx.conn):
        row = errors_table.require(ctx.conn, number, for_update=True)
        if row["status"] not in OPEN_STATUSES:
            raise InvalidInput(f"{format_id('error', number)} is {row['status']}; only open, escalated or "
                               "acknowledged errors can be snoozed")
        people_table.snooze(ctx.conn, number, until)
        add_event(ctx.conn, "error", number, "snoozed", at=to_iso(at), actor=ctx.actor, note=note,
                  data={"until": until})
    row = errors_table.get(ctx.conn, number)
    return {"id": format_id("error", number), "status": row["status"], "snoozed_until": until,
            "next_escalation_at": row["next_escalation_at"]}
