"""notify_error, track_error, update_error and the read side of errors."""

from __future__ import annotations

from ..clock import now, parse_iso, to_iso
from ..context import Context, ensure
from ..durations import parse_duration
from ..errors import InvalidInput
from ..escalation import flapping, timers
from ..ids import format_id, parse_id
from ..ledger import errors_table, retrying
from ..ledger.events import add_event
from .. import lifecycle
from ..lifecycle import check_error_transition, set_status as _set_status
from ..vocab import ERROR_STATUSES, OPEN_STATUSES, choose, error_type, impact
from .inputs import text, text_list

POSTMORTEM_FIELDS = ("cause", "detection", "solution", "prevention")  # solution: the resolution


def _report(type, service, details, impact_, options, project, recommendation, source) -> dict:
    return {
        "type": error_type(type),
        "service": text("service", service),
        "details": text("details", details, required=False) or "",
        "impact": impact(impact_),
        "options": text_list("options", options),
        "project": text("project", project, required=False),
        "recommendation": text("recommendation", recommendation, required=False),
        "source": source,
    }


def notify_error(type: str, service: str, details: str = "", impact: str = "blocking", options=None, *,
                 project: str | None = None, recommendation: str | None = None, source: str = "notify-error",
                 ctx: Context | None = None, _report_dead: bool = True) -> dict:
    """Record an error and tell the user, with options. A duplicate is absorbed, not re-sent.

    When opsctl.yaml names a remediation for it, the fix runs first (see escalation.remediation):
    success resolves the error without bothering anyone, failure notifies with its output attached.
    """
    from ..escalation import remediation  # only notify-error runs auto-fixes (track-error needs none of it)

    report = _report(type, service, details, impact, options, project, recommendation, source)
    ctx = ensure(ctx)
    at = to_iso(now())

    def record_and_notify():  # the report, "user notified" and the outbox rows commit together
        fix, plan = None, []
        recorded = errors_table.record(ctx.conn, report, at=at, actor=ctx.actor)
        _remember_priority(ctx, recorded, impact, source)
        newly_flapping = _after_record(ctx, recorded, at)
        row = recorded.row
        if row["notified_at"] is None:
            fix = remediation.claim(ctx, row, at)
            if fix is None:
                _notify_now(ctx, row, at)
                plan = lifecycle.enqueue_error(ctx, row["id"], recorded.event_id, "notify",
                                               newly_flapping=newly_flapping)
        recorded.row = errors_table.get(ctx.conn, row["id"])
        return recorded, fix, plan, newly_flapping

    recorded, fix, plan, newly_flapping = retrying(ctx.conn, record_and_notify)
    if fix is not None and fix is not remediation.BUSY:
        from .autofix import remediate

        return remediate(ctx, recorded, fix)
    return _announce(ctx, recorded, purpose="notify", plan=plan, newly_flapping=newly_flapping,
                     report_dead=_report_dead)


def _notify_now(ctx: Context, row, at: str) -> None:
    _set_status(ctx, row, "escalated" if row["status"] == "open" else row["status"], at, note="user notified")
    errors_table.update(ctx.conn, row["id"], {"notified_at": at})


def _remember_priority(ctx: Context, recorded, raw_impact, source) -> None:
    from ..people.priority import remember  # P0-P3 beside the tier (issue 12)

    remember(ctx, recorded.row["id"], raw_impact, source)


def _after_record(ctx: Context, recorded, at: str) -> bool:
    """Timers and flapping after a report was recorded; True when the error just started flapping."""
    if recorded.deduplicated:
        errors_table.update(ctx.conn, recorded.row["id"], timers.on_impact_change(ctx, recorded.row, at))
    if recorded.regression:  # a new incident (errors_table.new_incident)
        newly = flapping.recheck(ctx, recorded.row, at)
        recorded.row = errors_table.get(ctx.conn, recorded.row["id"])
        return newly
    return False


def track_error(error_type: str, service: str, *, project: str | None = None, impact: str = "warning",
                status: str = "open", details: str = "", source: str = "track-error",
                ctx: Context | None = None) -> dict:
    """Record an error in the ledger (no notification unless the status says it was escalated)."""
    report = _report(error_type, service, details, impact, None, project, None, source)
    status = choose("status", status, ERROR_STATUSES)
    if status not in OPEN_STATUSES:
        raise InvalidInput(f"track-error records a live error; --status must be one of {', '.join(OPEN_STATUSES)}")
    ctx = ensure(ctx)
    at = to_iso(now())

    def record_tracked():
        recorded = errors_table.record(ctx.conn, report, at=at, actor=ctx.actor, status=status)
        _remember_priority(ctx, recorded, impact, source)
        _after_record(ctx, recorded, at)
        if not recorded.deduplicated:
            stamps = {"escalated": "notified_at", "acknowledged": "acknowledged_at"}
            if status in stamps:
                errors_table.update(ctx.conn, recorded.row["id"], {stamps[status]: at})
            if status == "escalated":  # the caller notified the user: the tier's timer starts
                errors_table.update(ctx.conn, recorded.row["id"], timers.on_status(
                    ctx, dict(recorded.row, status="open"), "escalated", at))
        elif status != recorded.row["status"] and _forward(recorded.row["status"], status):
            _set_status(ctx, recorded.row, status, at, note="tracked")
        return recorded

    recorded = retrying(ctx.conn, record_tracked)
    recorded.row = errors_table.get(ctx.conn, recorded.row["id"])
    return _result(recorded, deliveries=[])


def postmortem_missing(row, fields: dict | None = None) -> list[str]:
    """For a blocking error: which of solution, cause, detection, prevention are still blank."""
    if row["impact"] != "blocking":
        return []
    fields = fields or {}
    return [name for name in POSTMORTEM_FIELDS if not (fields.get(name) or row[name])]


def _forward(current: str, target: str) -> bool:
    order = {"open": 0, "escalated": 1, "acknowledged": 2}
    return order[target] > order[current]


def update_error(error_id, status: str | None = None, *, solution: str | None = None,
                 resolution_time: str | None = None, cause: str | None = None, detection: str | None = None,
                 prevention: str | None = None, note: str | None = None, ctx: Context | None = None) -> dict:
    """Move an error along its lifecycle and/or document it."""
    number = parse_id("error", error_id)
    target = choose("status", status, ERROR_STATUSES) if status is not None else None
    seconds = parse_duration(resolution_time, "--resolution-time") if resolution_time else None
    fields = {name: text(name, value, required=False) for name, value in
              (("solution", solution), ("cause", cause), ("detection", detection), ("prevention", prevention))}
    fields = {k: v for k, v in fields.items() if v is not None}
    if target is None and not fields and seconds is None:
        raise InvalidInput("nothing to update; pass --status and/or --solution, --cause, --detection, --prevention")
    ctx = ensure(ctx)
    at_moment = now()
    at = to_iso(at_moment)

    def change():
        row = errors_table.require(ctx.conn, number, for_update=True)
        if target is not None:
            check_error_transition(format_id("error", number), row["status"], target)
        if seconds is not None and (target or row["status"]) != "resolved":
            raise InvalidInput("--resolution-time goes with --status resolved")
        changes = dict(fields, updated_at=at)
        if target == "resolved" or (seconds is not None and row["status"] == "resolved"):
            opened = parse_iso(row["opened_at"])
            changes["resolution_seconds"] = seconds if seconds is not None else max(
                0.0, (at_moment - opened).total_seconds())
        missing = postmortem_missing(row, fields) if target == "resolved" and row["status"] != "resolved" else []
        errors_table.update(ctx.conn, number, changes)
        if fields:
            add_event(ctx.conn, "error", number, "documented", at=at, actor=ctx.actor, note=note,
                      data={"fields": sorted(fields)})
        changed = target is not None and target != row["status"]
        plan = []
        if changed:
            data = {"resolution_seconds": changes["resolution_seconds"]} if target == "resolved" else None
            event_id = _set_status(ctx, row, target, at, note=note, data=data)
            plan = lifecycle.enqueue_error(ctx, number, event_id, "update")
            if missing:  # agents are not made to fail: the gap is recorded and shown in stats/digest
                add_event(ctx.conn, "error", number, "postmortem_pending", at=at, actor=ctx.actor,
                          data={"missing": missing})
        else:
            event_id = None
        return changed, event_id, plan, missing

    changed, event_id, plan, missing = retrying(ctx.conn, change)
    recorded = errors_table.Recorded(errors_table.get(ctx.conn, number), event_id or 0, False, False)
    if not changed:
        result = _result(recorded, deliveries=[])
    else:
        result = _announce(ctx, recorded, purpose="update", plan=plan)
    if missing:
        result["postmortem_missing"] = missing
    return result


def _announce(ctx: Context, recorded, *, purpose: str, send: bool = True, newly_flapping: bool = False,
              facts: dict | None = None, plan: list | None = None, report_dead: bool = True) -> dict:
    """After the commit: send what `lifecycle.enqueue_error` queued inside it, and build the result."""
    from .outbox import send_now

    error = errors_table.to_public(recorded.row)
    deliveries = send_now(ctx, plan, report_dead=report_dead) if plan else []
    result = _result(recorded, deliveries=deliveries, error=error)
    note = lifecycle.error_notification(recorded.row, purpose, facts=facts, newly_flapping=newly_flapping)
    result["notification"] = note.payload()
    return result


def _result(recorded, *, deliveries: list, error: dict | None = None) -> dict:
    error = error or errors_table.to_public(recorded.row)
    error.update(deduplicated=recorded.deduplicated, regression=recorded.regression, deliveries=deliveries)
    return error


def show_error(error_id, *, ctx: Context | None = None) -> dict:
    number = parse_id("error", error_id)
    ctx = ensure(ctx)
    errors_table.require(ctx.conn, number)
    from ..ledger.samples_table import samples

    shown = errors_table.show(ctx.conn, number)
    kept = samples(ctx.conn, number)  # the first details stay in `details`; each report's own are here
    shown["samples"] = kept
    shown["latest_details"] = kept[-1]["details"] if kept else shown.get("details")
    return shown
