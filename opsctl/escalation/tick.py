"""`opsctl tick`, for cron every minute: drain the outbox, escalate, remind, resurface.

Nothing-due costs two indexed queries (the partial index on `errors.next_escalation_at`, the
partial index on deferred requests' `until`); the config is read only when something is due.

Safe concurrently: due work is claimed inside one transaction with a conditional UPDATE
(`WHERE next_escalation_at = <as read> AND escalations = <as read>`), so when two ticks race, one
claims and the other finds the row changed; on PostgreSQL that transaction also holds the
transaction-level lock `opsctl:tick`, so ticks on many hosts take turns over the due rows.
The outbox rows of a notice are written in the same transaction as its claim, so a tick killed
at any moment never leaves a claimed escalation without the rows that will send it; they are sent
after the commit. Claims, events and outbox rows are written a batch at a time (one statement
per few hundred notices, see `_claim_all` and `delivery.batch`): a tick with 10,000 notices due
costs about what their SQL does. A tick that runs late sends one catch-up notice per error and
schedules the next one from now, never a burst for the missed runs.
"""

from __future__ import annotations

from .. import lifecycle
from ..clock import now, parse_iso, to_iso
from ..context import Context, ensure
from ..ledger import errors_table, lock, requests_table, transaction
from ..ledger.events import add_events
from . import resurface
from .timers import first_due, next_due

BATCH = 200
TICK_LOCK = "opsctl:tick"  # released at COMMIT: safe behind PgBouncer in transaction mode


def tick(*, dry_run: bool = False, limit: int = BATCH, ctx: Context | None = None) -> dict:
    """Do (or with dry_run, describe) what is due now. Returns what was done."""
    ctx = ensure(ctx)
    at_moment = now()
    at = to_iso(at_moment)
    result = {"at": at, "dry_run": dry_run, "notices": [], "resurfaced": [], "delivered": None}
    if not dry_run:
        from ..api.outbox import deliver

        result["delivered"] = deliver(ctx=ctx)
        from ..notion_sync.readback import poll as read_back_notion  # Status edits made in Notion

        if (edits := read_back_notion(ctx)) is not None:
            result["notion_readback"] = edits
        from ..ledger.health_table import tick_ran

        with transaction(ctx.conn):
            tick_ran(ctx.conn, at)  # for `opsctl doctor`
        from ..api.outbox import prune_sent  # sent payloads past their retention

        if pruned := prune_sent(ctx):
            result["pruned_payloads"] = pruned
    from ..people.tick import run as people_tick  # chains, silences ending, SMS status (issue 12)

    result.update(people_tick(ctx, at_moment, dry_run=dry_run))
    errors = errors_table.due_escalations(ctx.conn, at, limit)
    requests = requests_table.due_to_resurface(ctx.conn, at, limit)
    if not errors and not requests:
        return result
    from .policy import load

    policy = load(ctx)
    timers: dict = {}
    plans = [_plan(row, at_moment, policy, timers) for row in errors]
    if dry_run:
        result["notices"] = [_public(plan) for plan in plans if plan["kind"] != "stale"]
        result["resurfaced"] = [{"id": f"req-{row['id']}", "tool": row["tool"], "until": row["until"]}
                                for row in requests]
        return result
    from ..delivery.batch import Batch

    with transaction(ctx.conn):  # each claim and its outbox rows commit together
        lock(ctx.conn, TICK_LOCK)
        claimed = _claim_all(ctx, plans, at)
        batch = Batch(now())  # the outbox rows of every notice, written at once
        for plan in claimed:
            if plan["kind"] != "stale":
                _enqueue(ctx, plan, at_moment, policy, batch)
        back = [_enqueue_request(ctx, row, event_id, batch) for row in requests
                if (event_id := resurface.claim(ctx, row, at)) is not None]
        batch.write(ctx.conn)
    notices = [plan["public"] for plan in claimed if plan["kind"] != "stale"]
    _send(ctx, [plan.pop("plan") for plan in claimed if plan["kind"] != "stale"] + [item.pop("plan") for item in back],
          notices + back)
    result["notices"], result["resurfaced"] = notices, back
    return result


def _send(ctx, plans: list[list[dict]], into: list[dict]) -> None:
    """After the commit: send every notice's rows in one go (one claim, one pool of senders), then
    give each notice its own deliveries back."""
    from ..api.outbox import send_now

    results = iter(send_now(ctx, [entry for plan in plans for entry in plan]))
    for plan, item in zip(plans, into):
        item["deliveries"] = [next(results) for _ in plan]


def _plan(row, at_moment, policy, timers: dict) -> dict:
    """What is due for `row`; `timers`: the next due times of this tick so far (the same for every
    error of one impact and level), by (kind, impact, count)."""
    if row["notified_at"] is None and row["status"] == "open":
        kind = "notice"  # an auto-fix claimed the first notice and never reported back
    elif row["status"] != "escalated":
        kind = "stale"  # a timer left on a row that has moved on: just clear it
    else:
        kind = policy.tier(row["impact"]).kind
    late = (at_moment - parse_iso(row["next_escalation_at"])).total_seconds()
    level = row["escalations"] + (kind in ("escalation", "reminder"))
    key = (kind, row["impact"], row["escalations"] if kind == "notice" else level)
    if key in timers:
        next_at = timers[key]
    else:
        next_at = timers[key] = (first_due(row["impact"], row["escalations"], at_moment, policy) if kind == "notice"
                                 else next_due(row["impact"], level, at_moment, policy) if kind != "stale" else None)
    return {"row": row, "kind": kind, "level": level, "due_at": row["next_escalation_at"],
            "late_seconds": round(late, 3), "catch_up": late > policy.catch_up_after, "next_at": next_at,
            "event_id": None}


def _claim_all(ctx, plans: list[dict], at: str) -> list[dict]:
    """The plans whose rows this tick claimed, each a compare-and-set on its row as read: escalations and
    reminders one UPDATE per batch of them; the events written in due order, as one claim after another
    would (a run of escalations one INSERT, a first notice's status change between runs)."""
    due = [plan for plan in plans if plan["kind"] not in ("stale", "notice")]
    rows = errors_table.claim_escalations(ctx.conn, [
        (plan["row"]["id"], plan["due_at"], plan["row"]["escalations"], plan["next_at"]) for plan in due], at=at)
    claimed, run = [], []
    for plan in plans:
        if plan["kind"] in ("stale", "notice"):
            _add_events(ctx, run, at)
            run = []
            if _claim(ctx, plan, at):
                claimed.append(plan)
        elif (row := rows.get(plan["row"]["id"])) is not None:
            plan["claimed"] = row
            claimed.append(plan)
            run.append(plan)
    _add_events(ctx, run, at)
    return claimed


def _add_events(ctx, plans: list[dict], at: str) -> None:
    ids = add_events(ctx.conn, "error", [{"subject_id": plan["row"]["id"], "action": plan["kind"], "data": {
        "level": plan["level"], "due_at": plan["due_at"], "catch_up": plan["catch_up"],
        "late_seconds": plan["late_seconds"], "next_at": plan["next_at"]}} for plan in plans],
        at=at, actor="opsctl tick")
    for plan, event_id in zip(plans, ids):
        plan["event_id"] = event_id


def _claim(ctx, plan: dict, at: str) -> bool:
    """A stale timer or a first notice: compare-and-set on the row as read, through the one writer of
    error state."""
    row, kind = plan["row"], plan["kind"]
    if kind == "stale":
        return errors_table.clear_timer(ctx.conn, row["id"], row["next_escalation_at"])
    claimed = errors_table.claim_first_notice(ctx.conn, row["id"], due_at=row["next_escalation_at"])
    if claimed is None:
        return False
    plan["event_id"] = lifecycle.set_status(ctx, claimed, "escalated", at, actor="opsctl tick",
                                            note="the remediation did not report back in time; user notified")
    plan["claimed"] = errors_table.get(ctx.conn, row["id"])
    return True


def _enqueue(ctx, plan: dict, at_moment, policy, batch) -> None:
    from .notices import for_error  # not at the top: a tick with nothing due never needs it

    row = plan["claimed"]  # the row as the claim left it
    error = errors_table.to_public(row)
    note = for_error(error, plan["kind"], plan["level"], at_moment, plan["due_at"], plan["catch_up"])
    purpose = "notify" if plan["kind"] == "notice" else plan["kind"]
    only = policy.tier(error["impact"]).channels if purpose != "notify" else None
    plan["plan"] = lifecycle.enqueue_error(ctx, row["id"], plan["event_id"], purpose, notification=note,
                                           channels=list(only) if only else None, row=row, record=error,
                                           batch=batch)
    plan["public"] = dict(_public(plan), notification=batch.body(note))


def _enqueue_request(ctx, row, event_id: int, batch) -> dict:
    from ..delivery import enqueue
    from .notices import for_request

    request = requests_table.to_public(requests_table.get(ctx.conn, row["id"]))
    plan = enqueue(ctx, for_request(request), subject="request", subject_id=row["id"], event_id=event_id,
                   purpose="reminder", batch=batch)
    return {"id": request["id"], "tool": request["tool"], "until": row["until"], "status": request["status"],
            "plan": plan}


def _public(plan: dict) -> dict:
    row = plan["row"]
    return {"id": f"error-{row['id']}", "kind": plan["kind"], "impact": row["impact"], "level": plan["level"],
            "due_at": plan["due_at"], "late_seconds": plan["late_seconds"], "catch_up": plan["catch_up"],
            "next_at": plan["next_at"]}
