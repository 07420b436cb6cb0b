"""`opsctl stats`: the runbook's metrics from the ledger, as SQL aggregates over indexed ranges.

The window is "incidents opened since": `errors.opened_at` (a reopened error starts a new
incident), scanned through the covering index `errors_stats`.
"""

from __future__ import annotations

from datetime import timedelta

from ..clock import now, parse_iso, to_iso
from ..context import Context, ensure
from ..durations import parse_since
from ..ledger.errors_table import OPEN_SQL
from ..vocab import OPEN_STATUSES, TIERS
from .sql import for_reports, percentiles

WINDOW = "FROM errors WHERE opened_at >= ?"


def stats(*, since: str = "30d", top: int = 5, ctx: Context | None = None) -> dict:
    ctx = ensure(ctx)
    at = now()
    start = to_iso(parse_since(since, at))
    conn = for_reports(ctx.conn)
    # one pass over the window: frequency, counters and tier deadlines per (type, service, project, impact);
    # a deadline is met when the first answer came within the tier's time, missed when it came later or
    # has not come and the deadline (notified before `cutoff`) has passed
    tiered = "impact IN ('blocking', 'warning') AND notified_at IS NOT NULL"
    limit, cutoff = "CASE impact WHEN 'blocking' THEN ? ELSE ? END", "CASE impact WHEN 'blocking' THEN ? ELSE ? END"
    groups = conn.execute(
        "SELECT type, service, project, impact, COUNT(*), SUM(occurrences), SUM(escalations), SUM(regressions),"
        f" SUM(status IN {OPEN_SQL}), COUNT(resolution_seconds), COUNT(response_seconds),"
        f" SUM(CASE WHEN {tiered} THEN answered_seconds <= {limit} END),"
        f" SUM(CASE WHEN {tiered} THEN answered_seconds > {limit} OR answered_seconds IS NULL"
        f"  AND notified_at < {cutoff} END),"
        f" SUM({tiered}) {WINDOW} GROUP BY type, service, project, impact",
        (*_limits(), *_limits(), *_cutoffs(at), start)).fetchall()
    report = {"since": start, "until": to_iso(at), **_frequency(groups, top)}
    report["per_day"] = _per_day(conn, start, at)
    report["resolution_seconds"] = percentiles(conn, "resolution_seconds", WINDOW, (start,),
                                               count=sum(g[9] for g in groups))
    report["response_seconds"] = percentiles(conn, "response_seconds", WINDOW, (start,),
                                             count=sum(g[10] for g in groups))
    report["deadlines"] = _deadlines(groups)
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
    from ..people.stats import sections  # P0-P3 targets, false positives per rule (issue 12)

    report.update(sections(ctx.conn, start))
    return report


def _frequency(groups, top: int) -> dict:
    """by type / service / project / impact and the most common issues, from the grouped rows."""
    tallies = {key: {} for key in ("type", "service", "project", "impact")}
    totals = {"errors": 0, "occurrences": 0, "escalations": 0, "regressions": 0, "still_open": 0}
    issues = []
    for type_, service, project, impact, count, occurrences, escalations, regressions, still_open, *_ in groups:
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
    """Errors opened per day: one index range count per day (no sort of the whole window)."""
    first, last = parse_iso(start).date(), at.date()
    days = [first + timedelta(days=n) for n in range(min((last - first).days + 1, 3660))]
    bounds = [(max(start, d.isoformat()), (d + timedelta(days=1)).isoformat()) for d in days]
    if not bounds:
        return []
    values = ", ".join("(?, ?)" for _ in bounds)
    rows = conn.execute(f"WITH d(lo, hi) AS (VALUES {values}) SELECT lo, (SELECT COUNT(*) FROM errors"
                        " WHERE opened_at >= d.lo AND opened_at < d.hi) FROM d",
                        [x for pair in bounds for x in pair]).fetchall()
    return [{"day": day.isoformat(), "errors": count} for day, (_, count) in zip(days, rows)]


def _deadlines(groups) -> dict:
    """Tier deadlines: answered (acknowledged or resolved) within the tier's time after the notice."""
    out = {impact: {"within_seconds": TIERS[impact].respond_within_seconds, "met": 0, "missed": 0, "pending": 0}
           for impact in ("blocking", "warning")}
    for group in groups:
        impact, met, missed, total = group[3], group[11] or 0, group[12] or 0, group[13] or 0
        if impact in out:
            out[impact]["met"] += met
            out[impact]["missed"] += missed
            out[impact]["pending"] += total - met - missed
    return out


def _cutoffs(at) -> tuple[str, str]:
    """Notified before these, an unanswered error has missed its deadline."""
    return tuple(to_iso(at - timedelta(seconds=limit)) for limit in _limits())


def _limits() -> tuple[int, int]:
    return TIERS["blocking"].respond_within_seconds, TIERS["warning"].respond_within_seconds


def _backlog(conn, top: int) -> dict:
    rows = conn.execute(f"SELECT status, impact, COUNT(*) FROM errors WHERE status IN {OPEN_SQL} GROUP BY 1, 2").fetchall()
    by_status = {status: 0 for status in OPEN_STATUSES}
    by_impact = {impact: 0 for impact in TIERS}
    for status, impact, count in rows:
        by_status[status] += count
        by_impact[impact] += count
    oldest = conn.execute(
        f"SELECT id, type, service, project, impact, status, opened_at FROM errors WHERE status IN {OPEN_SQL}"
        " ORDER BY opened_at LIMIT ?", (top,)).fetchall()
    return {"open": sum(by_status.values()), "by_status": by_status, "by_impact": by_impact,
            "oldest": [{"id": f"error-{r['id']}", "type": r["type"], "service": r["service"],
                        "project": r["project"] or None, "impact": r["impact"], "status": r["status"],
                        "opened_at": r["opened_at"]} for r in oldest]}
