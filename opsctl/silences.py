"""Silences (maintenance windows): matching errors are recorded and counted, not announced.

    opsctl silence add --service "Scraper API" --for 2h --reason "provider maintenance"

A silence matches an error on its service (and its type / project when given; case and spacing
ignored). The check happens when a notice is about to go out (`active_for`, called by announce),
so first notices, escalations and reminders are all held; updates (resolved, acknowledged) still
go out. When a silence ends (its time runs out, or `silence remove`) while matching errors are
still open, `opsctl tick` sends ONE summary for them, not one notice per error.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .clock import now, to_iso
from .context import Context, ensure
from .errors import InvalidInput
from .ids import format_id, parse_id
from .ledger import silences_table, transaction

HELD_PURPOSES = ("notify", "escalation", "reminder")


def _norm(value) -> str:
    return " ".join(str(value or "").lower().split())


def matches(silence, error) -> bool:
    if _norm(silence["service"]) != _norm(error["service"]):
        return False
    return all(silence[k] is None or _norm(silence[k]) == _norm(error[k]) for k in ("type", "project"))


def active_for(conn, error, at: str, *, active: list | None = None):
    """The silence in force for this error at `at` (ISO), or None; `active`: the silences in force then,
    when the caller has read them."""
    for silence in (active if active is not None else silences_table.active(conn, at)):
        if matches(silence, error):
            return silence
    return None


def held(ctx, subject: str, subject_id: int | None, purpose: str, *, row=None, active: list | None = None,
         at: str | None = None) -> list[dict] | None:
    """For enqueue (inside the change's transaction): None to go ahead, else the `skipped` deliveries
    of a notice a silence holds; the hold is counted and written to the error's history.

    `active` and `at`: the silences in force at `at` (ISO), when the caller has read them."""
    if subject != "error" or subject_id is None or purpose not in HELD_PURPOSES:
        return None
    at = at or to_iso(now())
    if active is not None and not active:
        return None  # nothing in force: not even the row is needed
    from .ledger import errors_table

    row = row if row is not None else errors_table.get(ctx.conn, subject_id)
    silence = active_for(ctx.conn, row, at, active=active) if row is not None else None
    if silence is None:
        return None
    from .ledger.events import add_event

    name = format_id("silence", silence["id"])
    silences_table.count_held(ctx.conn, silence["id"])
    add_event(ctx.conn, "error", subject_id, "silenced", at=at, actor="opsctl",
              note=f"{purpose} held by {name} until {silence['ends_at'][:16]}Z ({silence['reason']})",
              data={"silence": name, "purpose": purpose})
    return [{"channel": "silence", "status": "skipped", "error": f"silenced by {name} until {silence['ends_at']}"}]


def to_public(row, at: str | None = None) -> dict:
    at = at or to_iso(now())
    return {"id": format_id("silence", row["id"]), "service": row["service"], "type": row["type"],
            "project": row["project"], "reason": row["reason"], "starts_at": row["starts_at"],
            "ends_at": row["ends_at"], "created_by": row["created_by"], "removed_at": row["removed_at"],
            "active": row["removed_at"] is None and row["starts_at"] <= at < row["ends_at"],
            "held": row["held"]}


def add_silence(service: str, *, duration: str, reason: str, type: str | None = None, project: str | None = None,
                ctx: Context | None = None) -> dict:
    from .api.inputs import text
    from .durations import parse_duration
    from .vocab import error_type

    service = text("service", service)
    reason = text("reason", reason)
    kind = error_type(type) if type else None
    project = text("project", project, required=False)
    seconds = parse_duration(duration, "--for")
    if seconds <= 0:
        raise InvalidInput("--for must be longer than 0s, e.g. 30m, 2h")
    ctx = ensure(ctx)
    start = now()
    with transaction(ctx.conn):
        number = silences_table.insert(ctx.conn, service=service, type=kind, project=project, reason=reason,
                                       starts_at=to_iso(start), ends_at=to_iso(start + timedelta(seconds=seconds)),
                                       created_by=ctx.actor)
    return to_public(silences_table.get(ctx.conn, number))


def list_silences(*, include_ended: bool = False, ctx: Context | None = None) -> list[dict]:
    ctx = ensure(ctx)
    at = to_iso(now())
    return [to_public(row, at) for row in silences_table.listed(ctx.conn, at=at, include_ended=include_ended)]


def remove_silence(silence_id, *, ctx: Context | None = None) -> dict:
    from .errors import NotFound

    number = parse_id("silence", silence_id)
    ctx = ensure(ctx)
    at = to_iso(now())
    with transaction(ctx.conn):
        if silences_table.get(ctx.conn, number) is None:
            raise NotFound(f"no silence {format_id('silence', number)}; see `opsctl silence list`")
        silences_table.end(ctx.conn, number, at)
    return to_public(silences_table.get(ctx.conn, number), at)


def summarize_ended(ctx, at: datetime, *, dry_run: bool = False) -> list[dict]:
    """For tick: one summary per ended silence that still has matching open errors."""
    at_iso = to_iso(at)
    ended = silences_table.ended_unsummarized(ctx.conn, at_iso)
    done = []
    for silence in ended:
        still = [row for row in silences_table.open_errors(ctx.conn, silence["service"], silence["ends_at"])
                 if matches(silence, row)]
        entry = {"id": format_id("silence", silence["id"]), "open_errors": [format_id("error", r["id"]) for r in still]}
        if dry_run:
            done.append(entry)
            continue
        from .ledger.events import add_event

        from .api.outbox import send_now
        from .delivery import enqueue

        with transaction(ctx.conn):  # the claim and the summary's outbox rows commit together
            if not silences_table.claim_summary(ctx.conn, silence["id"], at_iso):
                continue  # another tick summarized it
            event_id = add_event(ctx.conn, "silence", silence["id"], "ended", at=at_iso, actor="opsctl tick",
                                 data={"open_errors": entry["open_errors"], "held": silence["held"]})
            plan = enqueue(ctx, summary(silence, still), subject="silence", subject_id=silence["id"],
                           event_id=event_id, purpose="digest") if still else []
        if still:
            entry["deliveries"] = send_now(ctx, plan)
        done.append(entry)
    return done


def summary(silence, rows):
    from .messages.model import Notification
    from .vocab import TIERS

    worst = max((r["impact"] for r in rows), key=lambda i: TIERS[i].rank)
    name = format_id("silence", silence["id"])
    lines = [f"{format_id('error', r['id'])} {r['type']} · {r['service']} — {r['status']}, "
             f"{r['occurrences']} occurrence(s)" for r in rows]
    return Notification(
        id=name, kind="update", title=f"Silence {name} ended: {len(rows)} error(s) still open for {silence['service']}",
        service=silence["service"], impact=worst, status="ended", details="\n".join(lines),
        facts={"Silenced": f"{silence['starts_at'][:16]}Z → {silence['ends_at'][:16]}Z ({silence['reason']})",
               "Notices held": str(silence["held"])},
        answer_hint="opsctl errors list --status unresolved")
