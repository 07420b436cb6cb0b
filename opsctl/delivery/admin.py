"""Looking into the outbox and putting deliveries back in line (`opsctl outbox list|retry`)."""

from __future__ import annotations

import json

from ..clock import now, to_iso
from ..context import Context, ensure
from ..errors import InvalidInput
from ..ledger import transaction

STATUSES = ("queued", "sending", "sent", "dead")


def list_deliveries(*, status: str | None = None, channel: str | None = None, limit: int | None = 50,
                    ctx: Context | None = None) -> list[dict]:
    where, params = [], []
    if status:
        wanted = [s.strip() for s in status.split(",")]
        bad = [s for s in wanted if s not in STATUSES + ("pending",)]
        if bad:
            raise InvalidInput(f"invalid delivery status {bad[0]!r}; valid: {', '.join(STATUSES)}, pending")
        wanted = [s for w in wanted for s in (("queued", "sending") if w == "pending" else (w,))]
        where.append(f"status IN ({', '.join('?' * len(wanted))})")
        params += wanted
    if channel:
        where.append("channel = ?")
        params.append(channel)
    ctx = ensure(ctx)
    sql = ("SELECT id, event_id, subject, subject_id, channel, purpose, status, attempts, next_attempt_at,"
           " claimed_until, last_error, remote_id, created_at, sent_at, payload FROM deliveries")
    sql += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC"
    sql += f" LIMIT {int(limit)}" if limit else ""
    return [_public(row) for row in ctx.conn.execute(sql, params)]


def _public(row) -> dict:
    data = dict(row)
    note = json.loads(data.pop("payload")).get("notification") or {}
    data["about"] = note.get("id")
    data["title"] = note.get("title")
    data["id"] = f"dlv-{row['id']}"
    return data


def requeue(ids: list[str] | None = None, *, dead: bool = False, ctx: Context | None = None) -> dict:
    """Give dead (or any not-sent) deliveries a fresh set of attempts, due now."""
    numbers = [_number(i) for i in ids or []]
    if not numbers and not dead:
        raise InvalidInput("name the deliveries to retry (dlv-12 or 12) or pass --dead for every dead one")
    ctx = ensure(ctx)
    at = to_iso(now())
    with transaction(ctx.conn):
        if numbers:
            marks = ", ".join("?" * len(numbers))
            found = {r["id"]: r["status"] for r in ctx.conn.execute(
                f"SELECT id, status FROM deliveries WHERE id IN ({marks})", numbers)}
            missing = [n for n in numbers if n not in found]
            if missing:
                raise InvalidInput(f"no delivery dlv-{missing[0]}; see `opsctl outbox list`")
            sent = [n for n in numbers if found[n] == "sent"]
            if sent:
                raise InvalidInput(f"dlv-{sent[0]} was already sent; nothing to retry")
            where, params = f"id IN ({marks}) AND status != 'sending'", numbers
        else:
            where, params = "status = 'dead'", []
        count = ctx.conn.execute(
            "UPDATE deliveries SET status = 'queued', attempts = 0, next_attempt_at = ?, claim_token = NULL,"
            f" claimed_until = NULL WHERE {where}", (at, *params)).rowcount
    return {"requeued": count}


def _number(text: str) -> int:
    value = str(text).strip().lower().removeprefix("dlv-").removeprefix("#")
    if not value.isdigit():
        raise InvalidInput(f"invalid delivery id {text!r}; expected dlv-N or N, e.g. dlv-12")
    return int(value)
