"""Twilio delivery status, polled by `opsctl tick` (a status callback would need a public URL).

Every text's SID is the delivery's remote id. Each tick asks Twilio about the ones not yet final
(`queued`, `sent`, ...); `failed` / `undelivered` is written on the error's history and raised as
a system_error about the SMS channel, so a text that never arrived is not a silent failure.
"""

from __future__ import annotations

BATCH = 50


def poll_sms_status(ctx) -> list[dict]:
    """Check the texts whose fate is still open; returns [{sid, status, error_id}] for the changes."""
    from ..channels import registry
    from ..channels.base import DeliveryError
    from ..clock import now_iso
    from ..ledger import sms_table, transaction

    if not ctx.settings.get("TWILIO_ACCOUNT_SID") and not _sms_in_config(ctx):
        return []  # no SMS channel: nothing to look at (no query, no config read)
    channels = {c.channel: c for c in registry.configured(ctx) if c.name == "sms"}
    if not channels:
        return []
    with transaction(ctx.conn):
        sms_table.discover(ctx.conn, list(channels))
    changes = []
    for row in sms_table.pending(ctx.conn, BATCH):
        channel = channels.get(row["channel"])
        if channel is None:
            continue
        try:
            seen = channel.status(row["sid"], timeout=10)
        except DeliveryError:
            continue  # asked again at the next tick
        status = seen["status"] or "unknown"
        error = f"Twilio error {seen['error_code']}: {seen['error_message'] or ''}".strip() if seen["error_code"] else None
        with transaction(ctx.conn):
            changed = sms_table.set_status(ctx.conn, row["sid"], status, error, now_iso())
        if changed:
            changes.append({"sid": row["sid"], "status": status,
                            "error_id": f"error-{row['subject_id']}" if row["subject_id"] else None})
            if status in ("failed", "undelivered"):
                _report_failure(ctx, row, status, error)
    return changes


def _report_failure(ctx, row, status: str, error: str | None) -> None:
    from ..api.errors import notify_error
    from ..clock import now_iso
    from ..ledger import transaction
    from ..ledger.events import add_event
    from ..routing import channel_service

    what = f"text {row['sid']}" + (f" about error-{row['subject_id']}" if row["subject_id"] else "")
    if row["subject_id"]:
        with transaction(ctx.conn):
            add_event(ctx.conn, "error", row["subject_id"], "sms_failed", at=now_iso(), actor="opsctl tick",
                      note=f"{what}: {status}", data={"sid": row["sid"], "status": status, "error": error})
    notify_error("system_error", channel_service(row["channel"]), f"{what} was {status}" + (f" ({error})" if error else ""),
                 "warning", [f"Check the phone number and Twilio's message log for {row['sid']}",
                             "Reach the person another way (email, Slack)"],
                 recommendation="Option 1", source="sms-status", ctx=ctx)


def _sms_in_config(ctx) -> bool:
    if ctx.settings.config_path is None:
        return False
    section = (ctx.config or {}).get("channels") or {}
    return isinstance(section, dict) and any(isinstance(o, dict) and (o.get("type") or n) == "sms"
                                             for n, o in section.items())
