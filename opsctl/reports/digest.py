"""`opsctl digest --period day|week`: the morning ops report, printed and announced (purpose "digest").

Info-tier errors are never escalated: this is where they reach people.
"""

from __future__ import annotations

from ..clock import now, to_iso
from ..context import Context, ensure
from ..durations import format_duration
from ..errors import InvalidInput
from ..ledger import transaction
from ..ledger import reports_queries as q
from ..ledger.events import add_event
from .charts import bucket, sparkline
from .stats import stats

PERIODS = {"day": "24h", "week": "7d"}
LIST = 10


def digest(period: str = "day", *, send: bool = True, ctx: Context | None = None) -> dict:
    if period not in PERIODS:
        raise InvalidInput(f"invalid --period {period!r}; valid: {', '.join(PERIODS)}")
    ctx = ensure(ctx)
    report = stats(since=PERIODS[period], ctx=ctx)
    start, conn = report["since"], ctx.conn
    lists = {
        "info": q.info_since(conn, start, LIST),
        "resolved": q.resolved_since(conn, start),
        "open": q.open_by_urgency(conn, LIST),
        "postmortems_pending": q.postmortems_pending(conn, start, LIST),
        "flapping": q.flapping(conn, LIST),
        "notices": q.notices_since(conn, start),
    }
    markdown = render(period, report, lists)
    result = {"period": period, "since": start, "until": report["until"], "stats": report, "lists": lists,
              "markdown": markdown, "deliveries": []}
    if send:
        result["deliveries"] = _announce(ctx, period, report, markdown)
    return result


def plural(count: int, word: str) -> str:
    """"1 occurrence", "2 occurrences"."""
    return f"{count} {word}" + ("" if count == 1 else "es" if word.endswith("s") else "s")


def _line(error: dict) -> str:
    where = " · ".join(x for x in (error["service"], error["project"]) if x)
    return f"- {error['id']} {error['impact']} {error['type']} ({where}) — {error['status']}"


def render(period: str, report: dict, lists: dict) -> str:
    totals, deadlines, backlog = report["totals"], report["deadlines"], report["backlog"]
    resolution, response = report["resolution_seconds"], report["response_seconds"]
    by_impact = {row["impact"]: row["errors"] for row in report["by_impact"]}
    missed = deadlines["blocking"]["missed"] + deadlines["warning"]["missed"]
    met = deadlines["blocking"]["met"] + deadlines["warning"]["met"]
    lines = [  # one bullet each: markdown renders separate lines, not one paragraph
        f"- **New:** {plural(totals.get('incidents', totals['errors']), 'incident')} of "
        f"{plural(totals['errors'], 'error')} ({by_impact.get('blocking', 0)} blocking, "
        f"{by_impact.get('warning', 0)} warning, {by_impact.get('info', 0)} info), "
        f"{plural(totals['occurrences'], 'occurrence')} "
        f"{sparkline(bucket([(d['day'], d.get('incidents', d['errors'])) for d in report['per_day']]))}".rstrip(),
        f"- **Resolved:** {lists['resolved']} · median {format_duration(resolution['median'])}, "
        f"p90 {format_duration(resolution['p90'])}",
        f"- **User response:** median {format_duration(response['median'])} · deadlines met {met}, missed {missed}",
        f"- **Open backlog:** {backlog['open']} ({backlog['by_impact']['blocking']} blocking)",
        f"- **Escalations / reminders sent:** {lists['notices'].get('escalation', 0)} / "
        f"{lists['notices'].get('reminder', 0)}",
    ]
    if report["auto_fix"]:
        lines.append("- **Auto-fix:** " + ", ".join(f"{n} {s}" for s, n in sorted(report["auto_fix"].items())))
    if report["requests"].get("pending"):
        lines.append(f"- **Integration requests pending:** {report['requests']['pending']}")
    sections = [("Still open", lists["open"]), ("Info (waiting for this digest)", lists["info"]),
                ("Postmortem pending", lists["postmortems_pending"]), ("Flapping", lists["flapping"])]
    for title, items in sections:
        if items:
            lines += ["", f"## {title}", ""] + [_line(e) for e in items]
    if report["most_common"]:
        lines += ["", "## Most common", ""]
        lines += [f"- {i['type']} · {i['service']}: {plural(i['occurrences'], 'occurrence')}"
                  f" ({plural(i['errors'], 'error')})"
                  for i in report["most_common"]]
    title = "Daily ops digest" if period == "day" else "Weekly ops digest"
    return f"# {title} — {report['until'][:10]}\n\n" + "\n".join(lines) + "\n"


def _announce(ctx, period: str, report: dict, markdown: str) -> list[dict]:
    from ..api.outbox import announce
    from ..messages.model import Notification

    day = report["until"][:10]
    title = f"{'Daily' if period == 'day' else 'Weekly'} ops digest — {day}"
    with transaction(ctx.conn):
        event_id = add_event(ctx.conn, "digest", int(day.replace("-", "")), "digest", at=to_iso(now()),
                             actor=ctx.actor, data={"period": period, "since": report["since"]})
    body = markdown.split("\n", 2)[2] if markdown.count("\n") >= 2 else markdown
    note = Notification(id=f"digest-{day}", kind="digest", title=title, details=body,
                        facts={"Period": f"{report['since'][:16].replace('T', ' ')} → {day}"})
    return announce(ctx, note, subject="digest", subject_id=int(day.replace("-", "")), event_id=event_id,
                    purpose="digest")
