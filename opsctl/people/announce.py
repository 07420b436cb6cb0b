"""The one call announce makes before routing an error notice (issue 12).

- a silence in force, or a snooze (escalations/reminders), holds the notice;
- the error's priority (P0-P3) goes on the notification (email subject, SMS text);
- an error raised by a seed-format alert rule (`alerts:` with `channel:` / `mention:`) goes to that
  rule's Slack channel with that mention (the Slack channel turns `@data-team` into a user-group
  mention when it sends, see channels/slack_mentions.py).
"""

from __future__ import annotations

from .. import silences as _silences
from ..clock import now_iso
from ..ledger import errors_table
from .priority import of_row


def prepare(ctx, notification, subject: str, subject_id: int | None, purpose: str, *, row=None,
            silences: list | None = None, at: str | None = None):
    """(notification, None) to go ahead, or (notification, skipped deliveries) when held; `row`: the error's
    current row when the caller has it; `silences` (in force at `at`) and `at` (ISO), when the caller
    queues many notices at one time (see delivery.batch)."""
    held = _silences.held(ctx, subject, subject_id, purpose, row=row, active=silences, at=at)
    if held is not None or subject != "error" or subject_id is None:
        return notification, held
    row = row if row is not None else errors_table.get(ctx.conn, subject_id)
    if row is None:
        return notification, None
    if purpose in ("escalation", "reminder") and row["snoozed_until"] and row["snoozed_until"] > (at or now_iso()):
        return notification, [{"channel": "snooze", "status": "skipped",
                               "error": f"snoozed until {row['snoozed_until']}"}]
    notification.priority = notification.priority or of_row(row)
    rule = rule_of(ctx.config, row["source"])
    if rule is not None:
        if rule.channel and not notification.slack_channel:
            notification.slack_channel = rule.channel
        if rule.mention and not notification.mention:
            notification.mention = rule.mention  # resolved by the Slack channel when it sends
    return notification, None


def rule_of(config: dict, source: str | None):
    """The seed-format alert rule (`alerts:`) that raised an error (source `run:<job>:<rule>`), or None."""
    if not (config or {}).get("alerts"):
        return None
    return rule_of_any(config, source)


def rule_of_any(config: dict, source: str | None):
    """The rule (`rules:` or `alerts:`) named in an error's source `run:<job>:<rule>`, or None."""
    if not source or not source.startswith("run:") or source.count(":") < 2:
        return None
    from ..jobs.config import load_rules

    name = source.split(":", 2)[2]
    return next((r for r in load_rules(config) if r.name == name), None)
