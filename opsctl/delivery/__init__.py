"""Getting notifications to people: a transactional outbox and one send-and-record path.

The interface the rest of opsctl uses:

- `enqueue(ctx, notification, subject=, subject_id=, event_id=, purpose=, channels=None)` — call it
  INSIDE the transaction that makes the state change: it routes the notification and writes one
  outbox row per channel, so the change and the rows that will announce it commit together (or
  not at all). Returns the plan: one entry per routed channel (`id`, `channel`, `status` "queued",
  `until` when quiet hours hold it) plus "skipped" entries for channels that are configured but
  unusable (with `error`). purpose: "notify" (first notice), "update" (status change),
  "escalation", "reminder", "decision", "digest", "test". The same (event_id, channel) is never
  queued twice. `row` and `record`: the record's row as this transaction left it and its public
  JSON, when the caller has them (saves reading and converting it again). `batch`: a `batch.Batch`
  collecting the rows of many notices of one transaction (written by `batch.write`, see there).
- `send(ctx, plan)` — right after the commit: claim those rows and try them now. Returns
  {"deliveries": [{channel, status[, error, until]}], "gone_dead": [...]}, status one of sent,
  queued (retried later), failed, skipped.
- `drain(ctx, limit=None)` — send what is due in the outbox (`opsctl deliver`, `opsctl tick`);
  returns {"sent", "queued", "failed", "dead", "deliveries": [...], "gone_dead": [...]}.

Deliveries that just went dead come back in `gone_dead`; raising them as errors is the job of the
layer above (`opsctl.api.outbox`), so delivery never calls back into the API.

Modules: `sending` (claim, send, heartbeat, record), `owner` (whose claim is it, is it gone), `policy`
(how hard to try), `subjects` (the record snapshot a delivery carries); routing is
`opsctl.routing`, the SQL `opsctl.ledger.outbox_table`.
"""

from __future__ import annotations

from ..channels import registry
from ..clock import now, to_iso
from ..ledger import outbox_table
from ..routing import route

BATCH = 200  # rows `drain` claims at once: a claim, and its bookkeeping, per batch rather than per row
SPREAD_BATCH = 1000  # when batches are sent by one forked process per core: a fork, and new connections, per batch


def enqueue(ctx, notification, *, subject: str, subject_id: int | None, event_id: int | None, purpose: str,
            channels: list[str] | None = None, row=None, record: dict | None = None, batch=None) -> list[dict]:
    from ..people.announce import prepare  # silences, snoozes, priority, alert rules' channel (issue 12)

    usable, broken = _usable_and_broken(ctx) if batch is None else batch.once("channels", _usable_and_broken, ctx)
    if not usable and not broken:
        return []
    at = now() if batch is None else batch.at
    notification, held = prepare(ctx, notification, subject, subject_id, purpose, row=row,
                                 silences=None if batch is None else batch.silences(ctx.conn),
                                 at=None if batch is None else batch.at_iso)
    if held is not None:
        return [dict(entry, id=None) for entry in held]
    routes = route(ctx.config, usable, notification, subject=subject, purpose=purpose, at=at, only=channels)
    skipped = [{"id": None, "channel": r.channel.channel, "status": "skipped", "error": r.channel.missing()}
               for r in route(ctx.config, broken, notification, subject=subject, purpose=purpose, at=at,
                              only=channels)] if broken else []
    if not routes:
        return skipped
    if record is None:
        from .subjects import snapshot

        record = snapshot(ctx.conn, subject, subject_id, row=row)
    body = notification.payload()
    queued_at = to_iso(at) if batch is None else batch.at_iso
    if batch is not None:
        batch.rendered(notification, body)
    plan = []
    for r in routes:
        delivery = {"event_id": event_id, "subject": subject, "subject_id": subject_id, "channel": r.channel.channel,
                    "purpose": purpose, "payload": {"notification": body, "record": record, "mention": r.mention}}
        due = queued_at if not r.defer_until else to_iso(r.defer_until) if batch is None else batch.iso(r.defer_until)
        entry = {"id": None, "channel": r.channel.channel, "status": "queued"}
        if batch is not None and event_id is not None:
            batch.add(delivery, due, entry)  # its id comes with batch.write()
        else:
            entry["id"], _ = outbox_table.insert(ctx.conn, delivery, due=due, at=queued_at)
        if r.defer_until:
            entry["until"] = due
        plan.append(entry)
    return plan + skipped


def _usable_and_broken(ctx) -> tuple[list, list]:
    """The configured channels: those that can send, and those whose settings are missing."""
    configured = registry.configured(ctx, include_unusable=True)
    return [c for c in configured if c.missing() is None], [c for c in configured if c.missing() is not None]


def send(ctx, plan: list[dict]) -> dict:
    """Try the planned rows now (after the commit); rows another process holds stay `queued`."""
    ids = [e["id"] for e in plan if e["id"] is not None and "until" not in e]
    if not ids:
        return {"deliveries": [_public(e) for e in plan], "gone_dead": [], "delivered_to": set()}
    from . import sending
    from .policy import policy

    rules = policy(ctx)
    outcomes = {}
    for start in range(0, len(ids), BATCH):  # tick may send thousands: a claim (and SQL parameters) per batch
        token, rows = sending.claim(ctx, rules, ids=ids[start:start + BATCH], limit=BATCH)
        if rows:
            outcomes.update((o["id"], o) for o in sending.process(ctx, rows, token, _channels(ctx, rows), rules))
    results = []
    for entry in plan:
        outcome = outcomes.get(entry["id"])
        results.append(_public(dict(entry, **{k: v for k, v in outcome.items() if k != "id"})) if outcome
                       else _public(entry))
    return {"deliveries": results, "gone_dead": _gone_dead(ctx, outcomes.values()),
            "delivered_to": _delivered_to(outcomes.values())}


def drain(ctx, *, limit: int | None = None) -> dict:
    """Send due deliveries (at most `limit`); nothing due costs one indexed query (no config read)."""
    counts = {"sent": 0, "queued": 0, "failed": 0, "dead": 0}
    if not outbox_table.any_due(ctx.conn, to_iso(now())):
        return dict(counts, deliveries=[], gone_dead=[], delivered_to=set())
    from . import forked, sending
    from .policy import policy

    rules = policy(ctx)
    tried: dict[int, dict] = {}  # by row: a row given back untried (budget spent) may be sent by a later batch
    # first one row per sender (a concurrent `deliver` shares a small outbox), then doubling up to
    # BATCH, or SPREAD_BATCH where forked processes send (a claim, and a round of bookkeeping, per batch)
    size, most = rules.concurrency, SPREAD_BATCH if forked.may_spread() else BATCH

    def finish(round_) -> None:
        tried.update((o["id"], o) for o in round_.finish())

    claimed, sending_now = 0, None  # the round forked processes are sending while the next is claimed
    try:
        while limit is None or claimed < limit:
            size = size if limit is None else min(size, limit - claimed)
            token, rows = sending.claim(ctx, rules, ids=None, limit=size)
            if not rows:
                break
            claimed += len(rows)
            started = sending.Round(ctx, rows, token, _channels(ctx, rows), rules)
            if sending_now is not None:
                finish(sending_now)
            sending_now = started if started.forked else None
            if sending_now is None:  # this process's own threads: `outbox.concurrency` at once, a round at a time
                finish(started)
            size = min(most, size * 2)
    finally:
        if sending_now is not None:
            finish(sending_now)
    for entry in tried.values():
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    return dict(counts, deliveries=sorted(tried.values(), key=lambda e: e["id"]),
                gone_dead=_gone_dead(ctx, tried.values()), delivered_to=_delivered_to(tried.values()))


def _channels(ctx, rows) -> dict:
    return {c.channel: c for c in registry.configured(ctx, include_unusable=True)}


def _public(entry: dict) -> dict:
    out = {"channel": entry["channel"], "status": {"dead": "failed"}.get(entry["status"], entry["status"])}
    for key in ("error", "until"):
        if entry.get(key):
            out[key] = entry[key]
    return out


def _delivered_to(outcomes) -> set[str]:
    return {outcome["channel"] for outcome in outcomes if outcome["status"] == "sent"}


def _gone_dead(ctx, outcomes) -> list[dict]:
    """What the layer above needs to raise an error per channel whose deliveries just died."""
    import json

    dead = []
    for outcome in outcomes:
        if outcome["status"] not in ("failed", "dead"):
            continue
        row = outbox_table.get(ctx.conn, outcome["id"])
        note = json.loads(row["payload"] or "{}").get("notification") or {}
        dead.append({"id": row["id"], "channel": row["channel"], "subject": row["subject"],
                     "subject_id": row["subject_id"], "purpose": row["purpose"], "about": note.get("id"),
                     "error": outcome.get("error") or row["last_error"]})
    return dead
