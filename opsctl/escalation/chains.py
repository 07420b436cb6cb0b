"""Escalation chains: who is reached, and when, while an error stays unanswered.

    escalation:
      blocking:
        chain:
          - {after: 0m, notify: [oncall]}
          - {after: 15m, notify: [cto]}

Each step fires once, `after` the first notice, while the error is still `escalated` (not
acknowledged, decided, resolved). `errors.chain_step` counts the steps sent; a tick claims the
next ones with a compare-and-set on it (one tick wins) in the same transaction as the event the
outbox rows hang on. A tick that runs late sends every step that came due in ONE notice, not a
burst. A snoozed error waits until its snooze ends. A tier with a chain has no after/repeat
timer; tiers without one keep theirs.

Everyone a step names is reached on each contact they have: email; SMS for blocking errors
(`sms_impacts`); a `<@U…>` mention in the Slack message.
"""

from __future__ import annotations

from datetime import datetime

from ..clock import parse_iso, to_iso

CONTACT_CHANNELS = {"email": "email", "sms": "phone", "slack": "slack"}  # channel type -> person field
SMS_IMPACTS = ("blocking",)


# -- pure decisions -----------------------------------------------------------
def due_steps(steps, notified_at: datetime, done: int, at: datetime) -> list[int]:
    """Indexes of the steps not yet sent whose time has come."""
    waited = (at - notified_at).total_seconds()
    return [i for i in range(done, len(steps)) if steps[i].after <= waited]


def audience(steps, indexes: list[int], directory: dict, impact: str) -> dict:
    """{"people": [...], "channels": [...], "recipients": {"email": [...], "sms": [...], "slack": [...]}}."""
    names: list[str] = []
    for i in indexes:
        names += [n for n in steps[i].notify if n not in names]
    people = [directory[n] for n in names if n in directory]
    recipients = {
        "email": [p.email for p in people if p.email],
        "sms": [p.phone for p in people if p.phone] if impact in SMS_IMPACTS else [],
        "slack": [p.slack for p in people if p.slack],
    }
    return {"people": [p.name for p in people], "channels": [n for n in names if n not in directory],
            "recipients": {k: v for k, v in recipients.items() if v}}


def channels_for(audience_: dict, configured: list) -> list[str]:
    """The configured channel instances that carry this notice: the ones named, plus one per contact kind."""
    wanted = set(audience_["channels"])
    kinds = set(audience_["recipients"])
    return [c.channel for c in configured if c.channel in wanted or c.name in wanted or c.name in kinds]


def notice(error: dict, steps, indexes: list[int], audience_: dict, at: datetime, *, catch_up: bool):
    from ..durations import format_duration
    from ..messages.model import from_error

    note = from_error(error, kind="escalation")
    level = indexes[-1] + 1
    note.title = f"Escalation step {level} of {len(steps)} — {note.title}"
    waited = format_duration((at - parse_iso(error["notified_at"])).total_seconds())
    who = ", ".join(audience_["people"] + audience_["channels"])
    note.facts["Escalation"] = f"step {level}: not answered {waited} after the first notice; paging {who}"
    if catch_up and len(indexes) > 1:
        note.facts["Catch-up"] = (f"steps {indexes[0] + 1}-{level} came due while opsctl tick was not running: "
                                  "one notice for all of them")
    note.recipients = audience_["recipients"]
    if audience_["recipients"].get("slack"):
        note.mention = " ".join(f"<@{u}>" for u in audience_["recipients"]["slack"])
    return note


def sent_so_far(row) -> int:
    """Steps already sent for the current incident (a reopened error was notified again after them)."""
    restarted = row["last_escalated_at"] and row["notified_at"] > row["last_escalated_at"]
    return 0 if restarted else row["chain_step"]


# -- the tick -----------------------------------------------------------------
def run(ctx, at: datetime, *, dry_run: bool = False, limit: int = 200) -> list[dict]:
    """Send the chain steps that are due; what was (or, dry, would be) sent."""
    from ..ledger import errors_table, people_table

    if not errors_table.any_escalated(ctx.conn):
        return []  # nothing unanswered: the config is not even read
    from ..people.directory import chains, people

    configured = chains(ctx.config)
    if not configured:
        return []
    directory = people(ctx.config)
    done = []
    for row in people_table.chain_candidates(ctx.conn, list(configured), limit):
        if row["snoozed_until"] and row["snoozed_until"] > to_iso(at):
            continue
        steps = configured[row["impact"]]
        indexes = due_steps(steps, parse_iso(row["notified_at"]), sent_so_far(row), at)
        if not indexes:
            continue
        plan = {"id": f"error-{row['id']}", "steps": [i + 1 for i in indexes], "catch_up": len(indexes) > 1}
        if dry_run:
            done.append(plan)
            continue
        sent = _claim_and_send(ctx, row, steps, indexes, directory, at)
        if sent is not None:
            plan["deliveries"] = sent
            done.append(plan)
    return done


def _claim_and_send(ctx, row, steps, indexes: list[int], directory: dict, at: datetime) -> list | None:
    """Claim the due steps and queue their notice in one transaction (transactional outbox), then send."""
    from ..api.outbox import send_now
    from ..channels import registry
    from ..delivery import enqueue
    from ..ledger import errors_table, people_table, transaction
    from ..ledger.events import add_event

    at_iso = to_iso(at)
    who = audience(steps, indexes, directory, row["impact"])
    error = errors_table.to_public(errors_table.get(ctx.conn, row["id"]))
    note = notice(error, steps, indexes, who, at, catch_up=len(indexes) > 1)
    only = channels_for(who, registry.configured(ctx))
    with transaction(ctx.conn):
        if not people_table.claim_chain_steps(ctx.conn, row["id"], row["chain_step"], indexes[-1] + 1, at_iso):
            return None  # another tick took these steps
        event_id = add_event(ctx.conn, "error", row["id"], "escalation", at=at_iso, actor="opsctl tick", data={
            "chain_steps": [i + 1 for i in indexes], "people": who["people"], "channels": who["channels"]})
        plan = enqueue(ctx, note, subject="error", subject_id=row["id"], event_id=event_id, purpose="escalation",
                       channels=only) if only else []
    return send_now(ctx, plan)
