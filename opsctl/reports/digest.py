"""`opsctl digest --period day|week`: the morning ops report, printed and announced (purpose "digest").

Info-tier errors are never escalated: this is where they reach people.
"""

from __future__ import annotations

from ..clock import now, to_iso
from ..context import Context, ensure
from ..durations import format_duration
from ..errors import InvalidInput
from ..ledger import transaction
from ..ledger.errors_table import OPEN_SQL
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
        "info": _errors(conn, "impact = 'info' AND opened_at >= ?", (start,)),
        "resolved": conn.execute("SELECT COUNT(*) FROM errors WHERE resolved_at IS NOT NULL AND resolved_at >= ?",
                                 (start,)).fetchone()[0],
        "open": _errors(conn, f"status IN {OPEN_SQL}", (), order="impact = 'blocking' DESC,"
                        " impact = 'warning' DESC, opened_at"),
        "postmortems_pending": _errors(conn, "impact = 'blocking' AND status = 'resolved' AND (cause IS NULL OR"
                                       " detection IS NULL OR solution IS NULL OR prevention IS NULL)"
                                       " AND opened_at >= ?", (start,)),
        "flapping": _errors(conn, "flapping = 1", ()),
        "notices": dict(conn.execute("SELECT action, COUNT(*) FROM events WHERE at >= ? AND action IN"
                                     " ('escalation', 'reminder') GROUP BY action", (start,)).fetchall()),
    }
    markdown = render(period, report, lists)
    result = {"period": period, "since": start, "until": report["until"], "stats": report, "lists": lists,
              "markdown": markdown, "deliveries": []}
    if send:
        result["deliveries"] = _announce(ctx, period, report, markdown)
    return result


def _errors(conn, where: str, params, order: str = "opened_at DESC") -> list[dict]:
    rows = conn.execute(f"SELECT id, type, service, project, impact, status, opened_at FROM errors WHERE {where}"
                        f" ORDER BY {order} LIMIT {LIST}", params).fetchall()
    return [{"id": f"error-{r['id']}", "type": r["type"], "service": r["service"], "project": r["project"] or None,
             "impact": r["impact"], "status": r["status"], "opened_at": r["opened_at"]} for r in rows]


def _line(error: dict) -> str:
    where = " · ".join(x for x in (error["service"], error["project"]) if x)
    return f"- {error['id']} {error['impact']} {error['type']} ({where}) — {error['status']}"


def render(period: str, report: dict, lists: dict) -> str:
    totals, deadlines, backlog = report["totals"], report["deadlines"], report["backlog"]
    resolution, response = report["resolution_seconds"], report["response_seconds"]
    by_impact = {row["impact"]: row["errors"] for row in report["by_impact"]}
    missed = deadlines["blocking"]["missed"] + deadlines["warning"]["missed"]
    met = deadlines["blocking"]["met"] + deadlines["warning"]["met"]
    lines = [
        f"**New errors:** {totals['errors']} ({by_impact.get('blocking', 0)} blocking, "
        f"{by_impact.get('warning', 0)} warning, {by_impact.get('info', 0)} info), "
        f"{totals['occurrences']} occurrences {sparkline(bucket([(d['day'], d['errors']) for d in report['per_day']]))}",
        f"**Resolved:** {lists['resolved']} · median {format_duration(resolution['median'])}, "
        f"p90 {format_duration(resolution['p90'])}",
        f"**User response:** median {format_duration(response['median'])} · deadlines met {met}, missed {missed}",
        f"**Open backlog:** {backlog['open']} ({backlog['by_impact']['blocking']} blocking)",
        f"**Escalations / reminders sent:** {lists['notices'].get('escalation', 0)} / {lists['notices'].get('reminder', 0)}",
    ]
    if report["auto_fix"]:
        lines.append("**Auto-fix:** " + ", ".join(f"{n} {s}" for s, n in sorted(report["auto_fix"].items())))
    if report["requests"].get("pending"):
        lines.append(f"**Integration requests pending:** {report['requests']['pending']}")
    sections = [("Still open", lists["open"]), ("Info (waiting for this digest)", lists["info"]),
                ("Postmortem pending", lists["postmortems_pending"]), ("Flapping", lists["flapping"])]
    for title, items in sections:
        if items:
            lines += ["", f"**{title}:**"] + [_line(e) for e in items]
    if report["most_common"]:
        lines += ["", "**Most common:**"]
        lines += [f"- {i['type']} · {i['service']}: {i['occurrences']} occurrences ({i['errors']} errors)"
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
