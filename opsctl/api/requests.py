"""request_integration and deciding on requests."""

from __future__ import annotations

from ..clock import now, to_iso
from ..context import Context, ensure
from ..errors import InvalidInput, NotFound
from ..ids import format_id, parse_id
from ..ledger import requests_table, transaction
from ..ledger.events import add_event
from ..lifecycle import check_request_transition
from ..vocab import REQUEST_STATUSES, URGENCIES, choose
from .inputs import text

DECISIONS = {"approve": "approved", "reject": "rejected", "defer": "deferred", "integrate": "integrated",
             "reopen": "pending"}


def request_integration(tool: str, purpose: str, *, alternatives: str | None = None, urgency: str = "medium",
                        cost: str | None = None, ctx: Context | None = None) -> dict:
    """Ask the user for a new integration; a repeat ask for a pending tool is counted, not duplicated."""
    request = {
        "tool": text("tool", tool),
        "purpose": text("purpose", purpose),
        "alternatives": text("alternatives", alternatives, required=False),
        "urgency": choose("urgency", urgency, URGENCIES),
        "cost": text("cost", cost, required=False),
    }
    ctx = ensure(ctx)
    at = to_iso(now())
    from ..delivery import enqueue
    from ..messages.model import from_request
    from .outbox import send_now

    with transaction(ctx.conn):  # the request and the rows that announce it commit together
        row, event_id, deduplicated = requests_table.record(ctx.conn, request, at=at, actor=ctx.actor)
        public = requests_table.to_public(row)
        notification = from_request(public)
        plan = [] if deduplicated else enqueue(ctx, notification, subject="request", subject_id=row["id"],
                                               event_id=event_id, purpose="notify")
    deliveries = send_now(ctx, plan)
    return dict(public, deduplicated=deduplicated, deliveries=deliveries, notification=notification.payload())


def decide_request(request_id, decision: str, *, until: str | None = None, note: str | None = None,
                   ctx: Context | None = None) -> dict:
    """approve / reject / defer (until a date) / integrate / reopen a request."""
    number = parse_id("request", request_id)
    verb = (decision or "").strip().lower()
    target = DECISIONS.get(verb) or (verb if verb in REQUEST_STATUSES else None)
    if target is None:
        raise InvalidInput(f"invalid decision {decision!r}; valid: {', '.join(DECISIONS)}")
    until_iso = _until(until) if until else None
    if until_iso and target != "deferred":
        raise InvalidInput("--until goes with defer")
    note = text("note", note, required=False)
    ctx = ensure(ctx)
    at = to_iso(now())
    from ..delivery import enqueue
    from ..messages.model import from_request
    from .outbox import send_now

    with transaction(ctx.conn):
        row = requests_table.get(ctx.conn, number, for_update=True)
        if row is None:
            raise NotFound(f"no request {format_id('request', number)}; list them with `opsctl requests list`")
        check_request_transition(format_id("request", number), row["status"], target)
        if target == "pending" and row["status"] != "pending":
            other = requests_table.pending_for(ctx.conn, row["tool"])
            if other is not None:
                raise InvalidInput(f"{format_id('request', number)} cannot be reopened: "
                                   f"{format_id('request', other['id'])} is already pending for {row['tool']}; "
                                   f"decide that one instead")
        requests_table.set_status(ctx.conn, number, target, note=note, until=until_iso, at=at)
        event_id = add_event(ctx.conn, "request", number, "decided", at=at, actor=ctx.actor,
                             from_status=row["status"], to_status=target, note=note,
                             data={"until": until_iso} if until_iso else None)
        public = requests_table.to_public(requests_table.get(ctx.conn, number))
        notification = from_request(public)
        notification.kind = "update"
        plan = enqueue(ctx, notification, subject="request", subject_id=number, event_id=event_id, purpose="update")
    deliveries = send_now(ctx, plan)
    return dict(public, deliveries=deliveries)


def _until(value: str) -> str:
    """A date or timestamp, or a delay from now like 7d."""
    from ..clock import parse_iso
    from ..durations import parse_duration

    try:
        return to_iso(parse_iso(value))
    except ValueError:
        pass
    try:
        from datetime import timedelta

        return to_iso(now() + timedelta(seconds=parse_duration(value, "--until")))
    except InvalidInput:
        raise InvalidInput(f"invalid --until {value!r}; use a date like 2026-12-01 or a delay like 7d") from None


def show_request(request_id, *, ctx: Context | None = None) -> dict:
    number = parse_id("request", request_id)
    ctx = ensure(ctx)
    shown = requests_table.show(ctx.conn, number)
    if shown is None:
        raise NotFound(f"no request {format_id('request', number)}; list them with `opsctl requests list`")
    return shown
