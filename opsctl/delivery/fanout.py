"""announce (fan-out): route a notification, queue one outbox row per channel, then try them all at once."""

from __future__ import annotations

from ..channels import registry
from ..clock import now, to_iso
from ..routing import route
from . import forked, outbox, run, sender
from .policy import policy
from .subjects import snapshot

ROW_STATUS = {"sent": "sent", "dead": "failed", "queued": "queued", "sending": "queued"}


def announce(ctx, notification, *, subject: str, subject_id: int | None, event_id: int | None, purpose: str,
             channels: list[str] | None = None) -> list[dict]:
    configured = registry.configured(ctx, include_unusable=True)
    if not configured:
        return []
    from ..people.announce import prepare  # silences, snoozes, priority, alert rules' channel (issue 12)

    notification, held = prepare(ctx, notification, subject, subject_id, purpose)
    if held is not None:
        return held
    at = now()
    usable = [c for c in configured if c.missing() is None]
    broken = [c for c in configured if c.missing() is not None]
    routes = route(ctx.config, usable, notification, subject=subject, purpose=purpose, at=at, only=channels)
    skipped = [{"channel": r.channel.channel, "status": "skipped", "error": r.channel.missing()}
               for r in route(ctx.config, broken, notification, subject=subject, purpose=purpose, at=at,
                              only=channels)]
    if not routes:
        return skipped
    record = snapshot(ctx.conn, subject, subject_id)
    body = notification.payload()
    rows = [{"event_id": event_id, "subject": subject, "subject_id": subject_id, "channel": r.channel.channel,
             "purpose": purpose, "payload": {"notification": body, "record": record, "mention": r.mention},
             "defer_until": to_iso(r.defer_until) if r.defer_until else None} for r in routes]
    rules = policy(ctx)
    token = outbox.new_token()
    placed = outbox.enqueue(ctx.conn, rows, token=token, lease=rules.lease)
    results = []
    jobs = []
    for r, place in zip(routes, placed):
        if place["claimed"]:
            row = ctx.conn.execute("SELECT * FROM deliveries WHERE id = ?", (place["id"],)).fetchone()
            jobs.append(sender.Job(place["id"], r.channel, run.outgoing(ctx.conn, row, r.channel), token))
        entry = {"channel": r.channel.channel, "status": ROW_STATUS[place["status"]]}
        if r.defer_until:
            entry["until"] = to_iso(r.defer_until)
        results.append(entry)
    outcomes = _send(ctx, jobs, rules)
    for entry, place in zip(results, placed):
        if place["id"] in outcomes and place["claimed"]:
            entry.update(outcomes[place["id"]])
            if entry["status"] == "dead":
                entry["status"] = "failed"
    return results + skipped


def _send(ctx, jobs: list, rules) -> dict[int, dict]:
    """Heavy client libraries in forked children (two cores import at once), the rest in threads here."""
    import time

    to_fork, here = forked.split(jobs)
    if not to_fork:
        return run.process(ctx, jobs, rules)
    deadline = time.monotonic() + rules.budget + sender.GRACE
    children = forked.start(ctx, to_fork, rules)
    outcomes = run.process(ctx, here, rules)
    outcomes.update(forked.collect(ctx, children, deadline=deadline))
    return outcomes
