"""The one writer of an error's state: which changes are allowed, and what each change writes.

`set_status` validates nothing the caller has not (call `check_error_transition` first when the
target comes from a user), sets the timestamps, timers and answer times, writes the event.
`enqueue_error` writes the outbox rows that announce a change; call it in the SAME transaction,
then `api.outbox.send_now(plan)` after the commit. Every path that changes an error (notify,
track, update, decide, ack, remediation, tick's claims, dead letters and checks through
notify_error) goes through these two.
"""

from __future__ import annotations

from .errors import InvalidInput
from .vocab import ERROR_STATUSES, REQUEST_STATUSES

ERROR_TRANSITIONS = {
    "open": {"escalated", "acknowledged", "resolved", "false_positive"},
    "escalated": {"acknowledged", "resolved", "false_positive"},
    "acknowledged": {"escalated", "resolved", "false_positive"},
    # reopening is explicit and counts as a regression
    "resolved": {"open"},
    "false_positive": {"open"},
}

REQUEST_TRANSITIONS = {
    "pending": {"approved", "rejected", "deferred"},
    "deferred": {"pending", "approved", "rejected"},
    "approved": {"integrated", "rejected", "deferred"},
    "rejected": {"pending"},
    "integrated": set(),
}


def check_error_transition(error_id: str, current: str, target: str) -> None:
    if target not in ERROR_STATUSES:
        raise InvalidInput(f"invalid status {target!r}; valid: {', '.join(ERROR_STATUSES)}")
    if target == current:
        return
    allowed = ERROR_TRANSITIONS[current]
    if target not in allowed:
        hint = " (reopen it with --status open first)" if current in ("resolved", "false_positive") else ""
        raise InvalidInput(
            f"{error_id} is {current}; it can move to {', '.join(sorted(allowed)) or 'nothing'}, not {target}{hint}"
        )


def check_request_transition(request_id: str, current: str, target: str) -> None:
    if target not in REQUEST_STATUSES:
        raise InvalidInput(f"invalid request status {target!r}; valid: {', '.join(REQUEST_STATUSES)}")
    allowed = REQUEST_TRANSITIONS[current]
    if target != current and target not in allowed:
        raise InvalidInput(
            f"{request_id} is {current}; it can move to {', '.join(sorted(allowed)) or 'nothing'}, not {target}"
        )


def set_status(ctx, row, target: str, at: str, *, note: str | None = None, data: dict | None = None,
               actor: str | None = None) -> int:
    """Write a status change, its timestamps and timer; the transition was checked by the caller."""
    import sqlite3

    from .escalation import flapping, timers
    from .ids import format_id
    from .ledger import errors_table
    from .ledger.events import add_event

    changes: dict = {"status": target, "updated_at": at, **timers.on_status(ctx, row, target, at)}
    if target == "escalated" and not row["notified_at"]:
        changes["notified_at"] = at
    if target == "acknowledged" and not row["acknowledged_at"]:
        changes["acknowledged_at"] = at
    changes.update(answer_times(row, target, at))
    if target in ("resolved", "false_positive"):
        changes["resolved_at"] = at
    if target == "open":  # an explicit reopen is a regression
        changes.update(errors_table.new_incident(row, at))
    try:
        errors_table.update(ctx.conn, row["id"], changes)
    except sqlite3.IntegrityError:
        other = errors_table.find_open(ctx.conn, row["fingerprint"])
        raise InvalidInput(f"{format_id('error', row['id'])} cannot be reopened: "
                           f"{format_id('error', other['id'])} is already open for the same problem") from None
    action = "regressed" if target == "open" else "status" if target != row["status"] else "notified"
    event_id = add_event(ctx.conn, "error", row["id"], action, at=at, actor=actor or ctx.actor,
                         from_status=row["status"], to_status=target, note=note, data=data)
    if target == "open":
        flapping.recheck(ctx, errors_table.get(ctx.conn, row["id"]), at)
    return event_id


def answer_times(row, target: str, at: str) -> dict:
    """How long the user took, stored as numbers for the stats (see migration m006)."""
    if not row["notified_at"] or target not in ("acknowledged", "resolved", "false_positive"):
        return {}
    from .clock import parse_iso

    waited = max(0.0, (parse_iso(at) - parse_iso(row["notified_at"])).total_seconds())
    times = {} if row["answered_seconds"] is not None else {"answered_seconds": waited}
    if target == "acknowledged" and row["response_seconds"] is None:
        times["response_seconds"] = waited
    return times


def error_notification(row, purpose: str, *, facts: dict | None = None, newly_flapping: bool = False):
    from .escalation import flapping
    from .ledger import errors_table
    from .messages.model import from_error

    note = from_error(errors_table.to_public(row), kind="error" if purpose == "notify" else "update")
    note.facts.update(facts or {})
    if newly_flapping:
        note.facts.update(flapping.notice_fact(row))
    return note


def enqueue_error(ctx, error_id: int, event_id: int, purpose: str, *, facts: dict | None = None,
                  newly_flapping: bool = False, channels: list[str] | None = None, notification=None,
                  row=None, record: dict | None = None, batch=None) -> list[dict]:
    """Inside the transaction of the change: the outbox rows that announce it (a flapping error stays quiet).

    `row` (and `record`, its public JSON): the error as this transaction left it, when the caller has it;
    `batch`: see `delivery.enqueue`."""
    from .delivery import enqueue
    from .ledger import errors_table

    row = row if row is not None else errors_table.get(ctx.conn, error_id)
    if row["flapping"] and not newly_flapping and notification is None:
        return []
    note = notification or error_notification(row, purpose, facts=facts, newly_flapping=newly_flapping)
    return enqueue(ctx, note, subject="error", subject_id=error_id, event_id=event_id, purpose=purpose,
                   channels=channels, row=row, record=record, batch=batch)
