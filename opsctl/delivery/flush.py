"""drain (flush the outbox): send what is due, in claimed batches (`opsctl deliver`, `opsctl tick`)."""

from __future__ import annotations

from ..channels import registry
from . import outbox, run, sender
from .policy import policy


def drain(ctx, *, limit: int | None = None) -> dict:
    """Send due deliveries (at most `limit`); returns counts and one line per delivery tried.

    Nothing due costs one indexed query: the config is read only when there is work.
    """
    counts = {"sent": 0, "queued": 0, "failed": 0, "dead": 0}
    if not outbox.any_due(ctx.conn):
        return dict(counts, deliveries=[])
    rules = policy(ctx)
    tried: list[dict] = []
    channels = None
    while limit is None or len(tried) < limit:
        size = rules.concurrency if limit is None else min(rules.concurrency, limit - len(tried))
        token = outbox.new_token()
        rows = outbox.claim(ctx.conn, limit=size, token=token, lease=rules.lease)
        if not rows:
            break
        if channels is None:
            channels = {c.channel: c for c in registry.configured(ctx, include_unusable=True)}
        jobs = []
        for row in rows:
            channel = channels.get(row["channel"])
            problem = "is not configured here" if channel is None else channel.missing()
            if problem:
                status = outbox.mark_failed(ctx.conn, row["id"], token, transient=True, retry_after=None,
                                            policy=rules, error=f"channel {row['channel']}: {problem}")
                entry = {"id": row["id"], "channel": row["channel"], "status": status or "queued",
                         "error": f"channel {row['channel']}: {problem}"}
                tried.append(entry)
                continue
            jobs.append(sender.Job(row["id"], channel, run.outgoing(ctx.conn, row, channel), token))
        outcomes = run.process(ctx, jobs, rules)
        tried += [dict(outcome, id=delivery_id) for delivery_id, outcome in outcomes.items()]
    for entry in tried:
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    return dict(counts, deliveries=sorted(tried, key=lambda e: e["id"]))
