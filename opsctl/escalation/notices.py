"""The escalation, reminder and catch-up notifications `opsctl tick` sends (one message model)."""

from __future__ import annotations

from datetime import datetime

from ..clock import parse_iso
from ..durations import format_duration


def for_error(error: dict, kind: str, level: int, at: datetime, due_at: str, catch_up: bool):
    """kind: "escalation" (blocking), "reminder" (warning/info) or "notice" (first notice, sent late)."""
    from ..messages.model import from_error

    note = from_error(error, kind="error" if kind == "notice" else kind)
    since = error["notified_at"] or error["first_seen"]
    waited = format_duration((at - parse_iso(since)).total_seconds())
    if kind == "escalation":
        note.title = f"Escalation #{level} — {note.title}"
        note.facts["Escalation"] = f"#{level}: not acknowledged {waited} after the first notice"
    elif kind == "reminder":
        note.title = f"Reminder — {note.title}"
        note.facts["Reminder"] = f"not handled {waited} after the notice ({note.tier} tier)"
    else:
        note.facts["Auto-fix"] = "the remediation did not report back in time; over to you"
    if catch_up:
        late = format_duration((at - parse_iso(due_at)).total_seconds())
        note.facts["Catch-up"] = (f"this was due {due_at[:16].replace('T', ' ')} UTC ({late} ago) while opsctl tick "
                                  "was not running: one notice instead of one per missed run")
    return note


def for_request(request: dict):
    from ..messages.model import from_request

    note = from_request(request)
    note.kind = "reminder"
    note.title = f"Back on the table — {note.title}"
    note.facts["Deferred"] = "its --until date has come; approve, reject or defer it again"
    return note
