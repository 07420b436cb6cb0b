"""`opsctl stats`: the runbook's metrics from the ledger, as SQL aggregates over indexed ranges.

The window is "incidents opened since". Each error's latest incident is read from `errors`
(`opened_at`, the covering index `errors_stats`); incidents themselves (every open and every reopen)
are counted from the events, so an error opened and resolved seven times counts seven incidents.
The SQL is in `opsctl/ledger/reports_queries.py`.
"""

from __future__ import annotations

from datetime import timedelta

from ..clock import now, parse_iso, to_iso
from ..context import Context, ensure
from ..durations import parse_since
from ..ledger import reports_queries as q
from ..people import priority
from ..vocab import OPEN_STATUSES, TIERS
from .percentiles import nearest_rank


def stats(*, since: str = "30d", top: int = 5, ctx: Context | None = None) -> dict:
    ctx = ensure(ctx)
    at = now()
    start = to_iso(parse_since(since, at))
    conn = ctx.conn
    groups = q.window_groups(conn, start, _limits(), _cutoffs(at), priority.TARGET_LIMITS)
    report = {"since": start, "until": to_iso(at), **_frequency(groups, top)}
    report["per_day"], report["totals"]["incidents"] = _per_day(conn, start, at)
    resolution, response = q.answer_times(conn, start)
    report["resolution_seconds"], report["response_seconds"] = nearest_rank(resolution), nearest_rank(response)
    report["deadlines"] = _deadlines(groups)
    report["backlog"] = _backlog(conn, top)
    report["postmortems_pending"] = q.postmortems_pending_count(conn, start)
    report["flapping"] = q.flapping_count(conn)
    report["auto_fix"] = q.auto_fix_since(conn, start)
    report["requests"] = q.requests_by_status(conn)
    report["improvements"] = q.improvements_since(conn, start)
    from ..people.stats import sections  # P0-P3 targets, false positives per rule (issue 12)

    report.update(sections(ctx.conn, start, groups))
    return report


def _frequency(groups, top: int) -> dict:
    """by type / service / project / impact and the most common issues, from the grouped rows."""
    tallies = {key: {} for key in ("type", "service", "project", "impact")}
    totals = {"errors": 0, "occurrences": 0, "escalations": 0, "regressions": 0, "still_open": 0}
    issues = []
    for group in groups:
        type_, service, project, impact = group["type"], group["service"], group["project"], group["impact"]
        count, occurrences = group["errors"], group["occurrences"]
        totals["errors"] += count
        totals["occurrences"] += occurrences or 0
        totals["escalations"] += group["escalations"] or 0
        totals["regressions"] += group["regressions"] or 0
        totals["still_open"] += group["still_open"] or 0
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


def _per_day(conn, start: str, at) -> tuple[list[dict], int]:
    """Incidents opened per day (a reopen is a new incident) and how many errors they belong to;
    with the window's total of incidents."""
    first, last = parse_iso(start).date(), at.date()
    days = {(first + timedelta(days=n)).isoformat(): (0, 0) for n in range(min((last - first).days + 1, 3660))}
    total = 0
    for day, incidents, errors in q.incidents_per_day(conn, start):
        total += incidents
        if day in days:
            days[day] = (incidents, errors)
    return [{"day": day, "incidents": n, "errors": e} for day, (n, e) in days.items()], total


def _deadlines(groups) -> dict:
    """Tier deadlines: answered (acknowledged or resolved) within the tier's time after the notice."""
    out = {impact: {"within_seconds": TIERS[impact].respond_within_seconds, "met": 0, "missed": 0, "pending": 0}
           for impact in ("blocking", "warning")}
    for group in groups:
        impact, met, missed, total = group["impact"], group["met"] or 0, group["missed"] or 0, group["tiered"] or 0
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
    by_status = {status: 0 for status in OPEN_STATUSES}
    by_impact = {impact: 0 for impact in TIERS}
    for status, impact, count in q.open_counts(conn):
        by_status[status] += count
        by_impact[impact] += count
    return {"open": sum(by_status.values()), "by_status": by_status, "by_impact": by_impact,
            "oldest": q.oldest_open(conn, top)}
