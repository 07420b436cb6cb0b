"""The outbox as a library: send what was queued, `deliver`, `outbox list|retry`, and dead letters.

A delivery that goes dead raises its own system_error, so no failure is silent. The error is
about "opsctl channel: <name>"; routing never sends it to that channel, and while it is open
further failures only count occurrences (the ledger de-duplicates), so a broken channel yields
one alarm, not a storm. The alarm's own deliveries, should they die too, are recorded
(`track_error`) but not announced again: a failure while reporting a failure cannot loop. When
the channel delivers again (and nothing died on it in the same run), that error resolves itself.

Sent payloads are kept for `outbox.payload_retention_days` (30 by default), then replaced by a
stub naming what was sent; the delivery record stays for the history and the metrics.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta

from ..clock import now, to_iso
from ..context import Context, ensure
from ..errors import InvalidInput
from ..ledger import outbox_table, transaction
from ..routing import channel_service

STATUSES = ("queued", "sending", "sent", "dead")


def send_now(ctx: Context, plan: list[dict], *, report_dead: bool = True) -> list[dict]:
    """After the commit: try the rows `delivery.enqueue` wrote; raise an error for any that died."""
    if not plan:
        return []
    from ..delivery import send

    result = send(ctx, plan)
    raise_dead_letters(ctx, result["gone_dead"], announce=report_dead)
    resolve_recovered(ctx, result["delivered_to"], result["gone_dead"])
    return result["deliveries"]


def announce(ctx: Context, notification, *, subject: str, subject_id: int | None, event_id: int | None,
             purpose: str, channels: list[str] | None = None) -> list[dict]:
    """For notices that change no state (digests, improvements): queue in a transaction of their own, then send."""
    from ..delivery import enqueue

    with transaction(ctx.conn):
        plan = enqueue(ctx, notification, subject=subject, subject_id=subject_id, event_id=event_id,
                       purpose=purpose, channels=channels)
    return send_now(ctx, plan)


def deliver(*, limit: int | None = None, ctx: Context | None = None) -> dict:
    """`opsctl deliver`: send every due delivery, then raise what went dead."""
    from ..delivery import drain

    ctx = ensure(ctx)
    result = drain(ctx, limit=limit)
    dead = result.pop("gone_dead")
    raise_dead_letters(ctx, dead)
    resolve_recovered(ctx, result.pop("delivered_to"), dead)
    return result


def raise_dead_letters(ctx: Context, dead: list[dict], *, announce: bool = True) -> None:
    """One system_error per channel whose deliveries just went dead."""
    from ..errors import OpsctlError
    from .errors import notify_error, track_error

    by_channel: dict[str, list] = {}
    for item in dead:
        by_channel.setdefault(item["channel"], []).append(item)
    for name, items in by_channel.items():
        last = items[-1]
        what = f"{last['about']} ({last['purpose']})" if last["subject_id"] is not None else last["purpose"]
        details = (f"{len(items)} deliver{'y' if len(items) == 1 else 'ies'} to {name} gave up, "
                   f"last for {what}: {last['error']}")
        options = [f"Fix {name} as the message says, then run `opsctl outbox retry --dead`",
                   f"Turn {name} off in opsctl.yaml (channels: {{{name}: {{enabled: false}}}})"]
        try:
            if announce:
                notify_error("system_error", channel_service(name), details, "warning", options,
                             recommendation="Option 1", source="outbox", ctx=ctx, _report_dead=False)
            else:
                track_error("system_error", channel_service(name), impact="warning", details=details,
                            source="outbox", ctx=ctx)
        except OpsctlError as exc:
            print(f"opsctl: could not record the failure of {name}: {exc.message}", file=sys.stderr)


def resolve_recovered(ctx: Context, delivered_to: set[str], dead: list[dict]) -> None:
    """A channel that delivered again ends its open "opsctl channel: <name>" error (unless it also
    lost a delivery in the same run: then it is not well yet)."""
    from ..errors import OpsctlError
    from ..ledger import errors_table
    from .errors import update_error

    for name in sorted(set(delivered_to) - {item["channel"] for item in dead}):
        row = errors_table.find_open_about("system_error", channel_service(name), ctx.conn)
        if row is None:
            continue
        try:
            update_error(row["id"], "resolved", solution=f"{name} delivered again",
                         detection="opsctl outbox (automatic)",
                         note=f"resolved automatically: {name} delivered a message again", ctx=ctx)
        except OpsctlError as exc:  # e.g. resolved by someone else a moment ago
            print(f"opsctl: could not resolve the failure of {name}: {exc.message}", file=sys.stderr)


def prune_sent(ctx: Context, *, batch: int = 2000) -> int:
    """Replace the payloads of deliveries sent before the retention with a stub; returns how many."""
    from ..delivery.policy import policy

    days = policy(ctx).payload_retention_days
    if not days:
        return 0
    cutoff = to_iso(now() - timedelta(days=days))
    pruned = 0
    while True:
        with transaction(ctx.conn):
            rows = outbox_table.unpruned_sent_before(ctx.conn, cutoff, limit=batch)
            if rows:
                pruned += outbox_table.prune_payloads(ctx.conn, {row["id"]: _stub(row["payload"]) for row in rows},
                                                      at=to_iso(now()))
        if len(rows) < batch:
            return pruned


def _stub(payload: str) -> str:
    """What `outbox list` shows of a pruned delivery: the notification's id and title."""
    try:
        note = json.loads(payload).get("notification") or {}
    except (ValueError, AttributeError):
        note = {}
    return json.dumps({"notification": {"id": note.get("id"), "title": note.get("title")}, "pruned": True},
                      ensure_ascii=False)


def list_deliveries(*, status: str | None = None, channel: str | None = None, limit: int | None = 50,
                    ctx: Context | None = None) -> list[dict]:
    wanted = None
    if status:
        wanted = [s.strip() for s in status.split(",")]
        bad = [s for s in wanted if s not in STATUSES + ("pending",)]
        if bad:
            raise InvalidInput(f"invalid delivery status {bad[0]!r}; valid: {', '.join(STATUSES)}, pending")
        wanted = [s for w in wanted for s in (("queued", "sending") if w == "pending" else (w,))]
    ctx = ensure(ctx)
    return [_public(row) for row in outbox_table.query(ctx.conn, statuses=wanted, channel=channel, limit=limit)]


def _public(row) -> dict:
    data = dict(row)
    note = json.loads(data.pop("payload") or "{}").get("notification") or {}
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
    with transaction(ctx.conn):
        if numbers:
            found = outbox_table.statuses(ctx.conn, numbers)
            missing = [n for n in numbers if n not in found]
            if missing:
                raise InvalidInput(f"no delivery dlv-{missing[0]}; see `opsctl outbox list`")
            sent = [n for n in numbers if found[n] == "sent"]
            if sent:
                raise InvalidInput(f"dlv-{sent[0]} was already sent; nothing to retry")
        count = outbox_table.requeue(ctx.conn, ids=numbers or None, at=to_iso(now()))
    return {"requeued": count}


def _number(text: str) -> int:
    value = str(text).strip().lower().removeprefix("dlv-").removeprefix("#")
    if not value.isdigit() or len(value) > 18:
        raise InvalidInput(f"invalid delivery id {text[:80]!r}; expected dlv-N or N, e.g. dlv-12")
    return int(value)
