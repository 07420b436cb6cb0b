"""`opsctl postmortem error-12`: cause, detection, resolution, prevention and the timeline, as markdown."""

from __future__ import annotations

import json

from ..clock import parse_iso
from ..context import Context, ensure
from ..durations import format_duration
from ..ids import format_id, parse_id
from ..ledger import errors_table, improvements_table
from ..ledger.events import history

SECTIONS = (("Cause", "cause"), ("Detection", "detection"), ("Resolution", "solution"), ("Prevention", "prevention"))
ACTIONS = {
    "created": "reported", "occurred": "reported again", "regressed": "came back (regression)",
    "status": "status", "notified": "user notified", "escalation": "escalated (no acknowledgement)",
    "reminder": "reminder sent", "decided": "decision", "documented": "documented",
    "remediation_started": "auto-fix started", "remediated": "auto-fixed", "remediation_failed": "auto-fix failed",
    "flapping": "marked flapping", "settled": "stopped flapping", "postmortem_pending": "resolved without a postmortem",
}


def missing(error_id, provided: dict | None = None, *, ctx: Context | None = None) -> list[str]:
    """Which postmortem fields a resolution of this error would still lack (blocking errors only)."""
    from ..api.errors import postmortem_missing

    ctx = ensure(ctx)
    row = errors_table.get(ctx.conn, parse_id("error", error_id))
    return [] if row is None or row["status"] == "resolved" else postmortem_missing(row, provided or {})


def postmortem(error_id, *, ctx: Context | None = None) -> dict:
    number = parse_id("error", error_id)
    ctx = ensure(ctx)
    row = errors_table.require(ctx.conn, number)
    error = errors_table.to_public(row)
    timeline = history(ctx.conn, "error", number)
    improvements = _improvements(ctx, error)
    gaps = [field for _, field in SECTIONS if not error[field]]
    return {"id": error["id"], "error": error, "missing": gaps, "timeline": timeline, "improvements": improvements,
            "response_seconds": _between(error["notified_at"], error["acknowledged_at"]),
            "markdown": render(error, timeline, improvements, gaps)}


def _between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return max(0.0, (parse_iso(end) - parse_iso(start)).total_seconds())


def _improvements(ctx, error: dict) -> list[dict]:
    rows = improvements_table.query(ctx.conn)[::-1]  # oldest first
    keys = {error["id"].lower(), error["type"].lower(), error["service"].lower()}
    return [{"id": format_id("improvement", r["id"]), "improvement": r["improvement"], "created_at": r["created_at"]}
            for r in rows if keys & {t.lower() for t in json.loads(r["targets"])}]


def render(error: dict, timeline: list[dict], improvements: list[dict], gaps: list[str]) -> str:
    where = " · ".join(x for x in (error["service"], error["project"]) if x)
    lines = [f"# Postmortem: {error['id']} — {error['type']} ({where})", ""]
    facts = [
        ("Impact", f"{error['impact']} ({error['tier']})"), ("Status", error["status"]),
        ("Occurrences", error["occurrences"]), ("Regressions", error["regressions"] or None),
        ("First seen", error["first_seen"]), ("User notified", error["notified_at"]),
        ("Acknowledged", error["acknowledged_at"]), ("Resolved", error["resolved_at"]),
        ("Time to respond", _fmt(_between(error["notified_at"], error["acknowledged_at"]))),
        ("Time to resolve", _fmt(error["resolution_seconds"])), ("Escalations", error["escalations"] or None),
        ("Decision", _decision(error)),
    ]
    lines += ["| | |", "|---|---|"]
    lines += [f"| {label} | {_cell(value)} |" for label, value in facts if value not in (None, "", "—")]
    if error["details"]:
        lines += ["", "## What happened", "", error["details"]]
    for title, field in SECTIONS:
        lines += ["", f"## {title}", "", error[field] or "_pending — add it with "
                  f"`opsctl update-error --error-id {error['id']} --{field} \"…\"`_"]
    lines += ["", "## Timeline", "", "| when (UTC) | what | by | note |", "|---|---|---|---|"]
    for event in timeline:
        what = ACTIONS.get(event["action"], event["action"])
        if event["to_status"] and event["action"] in ("status", "created", "regressed"):
            what += f" → {event['to_status']}"
        lines.append(f"| {event['at'][:19].replace('T', ' ')} | {what} | {_cell(event['actor'])} | "
                     f"{_cell(event['note'])} |")
    if improvements:
        lines += ["", "## Improvements since", ""]
        lines += [f"- {i['id']}: {i['improvement']} ({i['created_at'][:10]})" for i in improvements]
    if gaps:
        lines += ["", f"_Postmortem incomplete: {', '.join(gaps)} missing._"]
    return "\n".join(lines) + "\n"


def _decision(error: dict) -> str | None:
    if not error["decision"]:
        return None
    options = error["options"]
    choice = options[error["decision"] - 1] if error["decision"] <= len(options) else "?"
    return f"{error['decision']}. {choice}" + (f" — {error['decision_note']}" if error["decision_note"] else "")


def _fmt(seconds: float | None) -> str | None:
    return None if seconds is None else format_duration(seconds)


def _cell(value) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")
