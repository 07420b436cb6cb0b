"""`opsctl stats`: the runbook's metrics from the ledger, as SQL aggregates over indexed ranges.

The window is "incidents opened since": `errors.opened_at` (a reopened error starts a new
incident), scanned through the covering index `errors_stats`.
"""

from __future__ import annotations

from datetime import timedelta

from ..clock import now, parse_iso, to_iso
from ..context import Context, ensure
from ..durations import parse_since
from ..vocab import OPEN_STATUSES, TIERS
from .sql import percentiles, seconds_between

WINDOW = "FROM errors WHERE opened_at >= ?"
OPEN = "('open', 'escalated', 'acknowledged')"


def stats(*, since: str = "30d", top: int = 5, ctx: Context | None = None) -> dict:
    ctx = ensure(ctx)
    at = now()
    start = to_iso(parse_since(since, at))
    conn = ctx.conn
    groups = conn.execute(
        "SELECT type, service, project, impact, COUNT(*), SUM(occurrences), SUM(escalations), SUM(regressions),"
        f" SUM(status IN {OPEN}) {WINDOW} GROUP BY type, service, project, impact", (start,)).fetchall()
    report = {"since": start, "until": to_iso(at), **_frequency(groups, top)}
    report["per_day"] = _per_day(conn, start, at)
    report["resolution_seconds"] = percentiles(conn, "resolution_seconds", WINDOW + " AND resolved_at IS NOT NULL",
                                               (start,))
    report["response_seconds"] = percentiles(conn, seconds_between("notified_at", "acknowledged_at"),
                                             WINDOW + " AND acknowledged_at IS NOT NULL AND notified_at IS NOT NULL",
                                             (start,))
    report["deadlines"] = _deadlines(conn, start, at)
    report["backlog"] = _backlog(conn, top)
    report["postmortems_pending"] = conn.execute(
        "SELECT COUNT(*) FROM errors WHERE impact = 'blocking' AND status = 'resolved' AND (cause IS NULL OR"
        " detection IS NULL OR solution IS NULL OR prevention IS NULL) AND opened_at >= ?", (start,)).fetchone()[0]
    report["flapping"] = conn.execute("SELECT COUNT(*) FROM errors WHERE flapping = 1").fetchone()[0]
    report["auto_fix"] = dict(conn.execute(
        "SELECT remediation_status, COUNT(*) FROM errors WHERE remediation_at IS NOT NULL AND remediation_at >= ?"
        " GROUP BY remediation_status", (start,)).fetchall())
    report["requests"] = dict(conn.execute("SELECT status, COUNT(*) FROM requests GROUP BY status").fetchall())
    report["improvements"] = conn.execute("SELECT COUNT(*) FROM improvements WHERE created_at >= ?",
                                          (start,)).fetchone()[0]
    return report


def _frequency(groups, top: int) -> dict:
    """by type / service / project / impact and the most common issues, from the grouped rows."""
    tallies = {key: {} for key in ("type", "service", "project", "impact")}
    totals = {"errors": 0, "occurrences": 0, "escalations": 0, "regressions": 0, "still_open": 0}
    issues = []
    for type_, service, project, impact, count, occurrences, escalations, regressions, still_open in groups:
        totals["errors"] += count
        totals["occurrences"] += occurrences or 0
        totals["escalations"] += escalations or 0
        totals["regressions"] += regressions or 0
        totals["still_open"] += still_open or 0
        for key, value in (("type", type_), ("service", service), ("project", project or None), ("impact", impact)):
            entry = tallies[key].setdefault(value, [0, 0])
            entry[0] += count
            entry[1] += occurrences or 0
        issues.append({"type": type_, "service": service, "project": project or None, "impact": impact,
                       "errors": count, "occurrences": occurrences or 0})
    merged: dict = {}
    for issue in issues:  # most common: by type + service + project, whatever the impact
        key = (issue["type"], issue["service"], issue["project"])
        if key in merged:
            merged[key]["errors"] += issue["errors"]
            merged[key]["occurrences"] += issue["occurrences"]
        else:
            merged[key] = {k: v for k, v in issue.items() if k != "impact"}
    ranked = sorted(merged.values(), key=lambda i: (-i["occurrences"], -i["errors"], i["type"], i["service"]))
    by = {f"by_{key}": sorted(({key: name, "errors": c, "occurrences": o} for name, (c, o) in table.items()),
                              key=lambda row: (-row["errors"], str(row[key] or "")))
          for key, table in tallies.items()}
    return {"totals": totals, **by, "most_common": ranked[:top]}


def _per_day(conn, start: str, at) -> list[dict]:
    counts = dict(conn.execute(f"SELECT substr(opened_at, 1, 10), COUNT(*) {WINDOW} GROUP BY 1", (start,)))
    day, last, series = parse_iso(start).date(), at.date(), []
    while day <= last and len(series) < 3660:
        series.append({"day": day.isoformat(), "errors": counts.get(day.isoformat(), 0)})
        day += timedelta(days=1)
    return series


def _deadlines(conn, start: str, at) -> dict:
    """Tier deadlines: answered (acknowledged or resolved) within the tier's time after the notice."""
    answered = "COALESCE(acknowledged_at, resolved_at)"
    limit = "CASE impact WHEN 'blocking' THEN ? ELSE ? END"
    rows = conn.execute(
        f"SELECT impact,"
        f" SUM({answered} IS NOT NULL AND {seconds_between('notified_at', answered)} <= {limit}),"
        f" SUM(({answered} IS NOT NULL AND {seconds_between('notified_at', answered)} > {limit})"
        f"  OR ({answered} IS NULL AND {seconds_between('notified_at', '?')} > {limit})),"
        f" COUNT(*) {WINDOW} AND impact IN ('blocking', 'warning') AND notified_at IS NOT NULL GROUP BY impact",
        (*_limits(), *_limits(), to_iso(at), *_limits(), start)).fetchall()
    out = {impact: {"within_seconds": TIERS[impact].respond_within_seconds, "met": 0, "missed": 0, "pending": 0}
           for impact in ("blocking", "warning")}
    for impact, met, missed, total in rows:
        out[impact].update(met=met or 0, missed=missed or 0, pending=total - (met or 0) - (missed or 0))
    return out


def _limits() -> tuple[int, int]:
    return TIERS["blocking"].respond_within_seconds, TIERS["warning"].respond_within_seconds


def _backlog(conn, top: int) -> dict:
    rows = conn.execute(f"SELECT status, impact, COUNT(*) FROM errors WHERE status IN {OPEN} GROUP BY 1, 2").fetchall()
    by_status = {status: 0 for status in OPEN_STATUSES}
    by_impact = {impact: 0 for impact in TIERS}
    for status, impact, count in rows:
        by_status[status] += count
        by_impact[impact] += count
    oldest = conn.execute(
        f"SELECT id, type, service, project, impact, status, opened_at FROM errors WHERE status IN {OPEN}"
        " ORDER BY opened_at LIMIT ?", (top,)).fetchall()
    return {"open": sum(by_status.values()), "by_status": by_status, "by_impact": by_impact,
            "oldest": [{"id": f"error-{r['id']}", "type": r["type"], "service": r["service"],
                        "project": r["project"] or None, "impact": r["impact"], "status": r["status"],
                        "opened_at": r["opened_at"]} for r in oldest]}
