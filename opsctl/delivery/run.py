"""Send claimed deliveries and write down what happened, one row at a time as results arrive."""

from __future__ import annotations

import json
import sqlite3

from ..channels.base import Channel, Outgoing, Sent
from ..messages.model import Notification
from ..scrub import scrub
from . import deadletter, outbox, sender

# per-delivery outcomes: sent, queued (will retry), failed (permanent: dead now), dead (attempts ran out)


def outgoing(conn: sqlite3.Connection, row, channel: Channel) -> Outgoing:
    payload = json.loads(row["payload"])
    return Outgoing(
        subject=row["subject"], subject_id=row["subject_id"], purpose=row["purpose"],
        notification=Notification.from_payload(payload["notification"]), record=payload.get("record"),
        mention=payload.get("mention"), ref=outbox.refs(conn, row["subject"], row["subject_id"], channel.channel),
        delivery_id=row["id"], cache=outbox.cache(conn, f"{channel.name}:"), attempt=row["attempts"],
        earlier=conn.execute("SELECT 1 FROM deliveries WHERE subject = ? AND subject_id IS ? AND channel = ?"
                             " AND id < ? LIMIT 1", (row["subject"], row["subject_id"], channel.channel,
                                                     row["id"])).fetchone() is not None,
    )


def process(ctx, jobs: list[sender.Job], policy) -> dict[int, dict]:
    """Send `jobs` concurrently within the policy's budget; returns delivery id -> {channel, status[, error]}."""
    outcomes: dict[int, dict] = {}
    gone_dead = []
    for job, outcome in sender.send_all(jobs, budget=policy.budget, timeout=policy.timeout, tries=policy.tries):
        name = job.channel.channel
        if isinstance(outcome, Sent):
            ref_key = (job.out.subject, job.out.subject_id, name) if job.out.subject_id is not None else None
            outbox.mark_sent(ctx.conn, job.delivery_id, job.claim_token, remote_id=outcome.remote_id,
                             ref=outcome.ref, ref_key=ref_key, cache=outcome.cache)
            outcomes[job.delivery_id] = {"channel": name, "status": "sent"}
            continue
        error = job.channel.redact(outcome.message)
        status = outbox.mark_failed(ctx.conn, job.delivery_id, job.claim_token, error=error,
                                    transient=outcome.transient, retry_after=outcome.retry_after, policy=policy)
        if status is None:  # another process took the row over after our claim expired
            status = "queued"
        outcomes[job.delivery_id] = {"channel": name, "status": status, "error": scrub(error)}
        if status in ("failed", "dead"):
            gone_dead.append((job, outcomes[job.delivery_id]["error"]))
    for job in jobs:
        outcomes.setdefault(job.delivery_id, {"channel": job.channel.channel, "status": "queued",
                                              "error": "still sending when the time budget ran out; "
                                                       "`opsctl deliver` will finish it"})
    if gone_dead:
        deadletter.report(ctx, gone_dead)
    return outcomes
