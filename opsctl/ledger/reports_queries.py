"""The queries behind `opsctl stats`, `digest` and `improvements show`: portable SQL, index range scans.

"Since" windows are on `errors.opened_at` (the covering index `errors_stats`) for what is known about
each error's latest incident, and on `events(action, at, …)` (index `events_action_at`) for incidents
themselves: every `created` or `regressed` event opens one, so an error that keeps coming back counts
once per return. Nothing here sorts a whole window in SQL; percentiles are taken in Python.
"""

from __future__ import annotations

from .dialect import json_number
from .errors_table import OPEN_SQL

WINDOW = "FROM errors WHERE opened_at >= ?"
OPENING_ACTIONS = ("created", "regressed")
SUMMARY_COLUMNS = ("id", "type", "service", "project", "impact", "status", "opened_at")


def window_groups(conn, start: str, limits: tuple[int, int], cutoffs: tuple[str, str],
                  priority_limits: tuple[int, ...]) -> list:
    """One pass over the window, grouped by (type, service, project, impact, priority): counts, sums,
    tier deadlines (met: first answer within the tier's time; missed: later, or none and the deadline
    passed) and, for each of `priority_limits`, how many were answered within it (`within_0`, …)."""
    tiered = "impact IN ('blocking', 'warning') AND notified_at IS NOT NULL"
    limit = cutoff = "CASE impact WHEN 'blocking' THEN ? ELSE ? END"
    within = "".join(f", SUM(CASE WHEN answered_seconds <= ? THEN 1 ELSE 0 END) AS within_{n}"
                     for n in range(len(priority_limits)))
    return conn.execute(
        "SELECT type, service, project, impact, priority, COUNT(*) AS errors, SUM(occurrences) AS occurrences,"
        " SUM(escalations) AS escalations, SUM(regressions) AS regressions,"
        f" SUM(CASE WHEN status IN {OPEN_SQL} THEN 1 ELSE 0 END) AS still_open,"
        f" SUM(CASE WHEN {tiered} AND answered_seconds <= {limit} THEN 1 ELSE 0 END) AS met,"
        f" SUM(CASE WHEN {tiered} AND (answered_seconds > {limit} OR answered_seconds IS NULL"
        f"  AND notified_at < {cutoff}) THEN 1 ELSE 0 END) AS missed,"
        f" SUM(CASE WHEN {tiered} THEN 1 ELSE 0 END) AS tiered, COUNT(answered_seconds) AS answered{within}"
        f" {WINDOW} GROUP BY type, service, project, impact, priority",
        (*limits, *limits, *cutoffs, *priority_limits, start)).fetchall()


def incidents_per_day(conn, start: str) -> list[tuple[str, int, int]]:
    """(day, incidents opened, errors they belong to) for each day since `start` with any."""
    marks = ", ".join("?" * len(OPENING_ACTIONS))
    return [tuple(row) for row in conn.execute(
        f"SELECT SUBSTR(at, 1, 10), COUNT(*), COUNT(DISTINCT subject_id) FROM events WHERE action IN ({marks})"
        " AND at >= ? AND subject = 'error' GROUP BY SUBSTR(at, 1, 10)", (*OPENING_ACTIONS, start))]


def answer_times(conn, start: str) -> tuple[list[float], list[float]]:
    """Resolution and response seconds over the window, each sorted (in Python), in one range scan."""
    resolution, response = [], []
    for resolved, responded in conn.execute(
            f"SELECT resolution_seconds, response_seconds {WINDOW}"
            " AND (resolution_seconds IS NOT NULL OR response_seconds IS NOT NULL)", (start,)):
        if resolved is not None:
            resolution.append(resolved)
        if responded is not None:
            response.append(responded)
    return sorted(resolution), sorted(response)


def postmortems_pending_count(conn, start: str) -> int:
    return conn.execute(f"SELECT COUNT(*) FROM errors WHERE {_POSTMORTEM_PENDING} AND opened_at >= ?",
                        (start,)).fetchone()[0]


def flapping_count(conn) -> int:
    return conn.execute("SELECT COUNT(*) FROM errors WHERE flapping = 1").fetchone()[0]


def auto_fix_since(conn, start: str) -> dict:
    return {status: count for status, count in conn.execute(
        "SELECT remediation_status, COUNT(*) FROM errors WHERE remediation_at IS NOT NULL AND remediation_at >= ?"
        " GROUP BY remediation_status", (start,))}


def requests_by_status(conn) -> dict:
    return {status: count for status, count in conn.execute("SELECT status, COUNT(*) FROM requests GROUP BY status")}


def improvements_since(conn, start: str) -> int:
    return conn.execute("SELECT COUNT(*) FROM improvements WHERE created_at >= ?", (start,)).fetchone()[0]


def open_counts(conn) -> list[tuple[str, str, int]]:
    """(status, impact, count) of the open errors."""
    return [tuple(row) for row in conn.execute(
        f"SELECT status, impact, COUNT(*) FROM errors WHERE status IN {OPEN_SQL} GROUP BY status, impact")]


def oldest_open(conn, top: int) -> list[dict]:
    return _summaries(conn, f"status IN {OPEN_SQL}", (), "opened_at", top)


# -- the digest's lists -----------------------------------------------------------------------------

_POSTMORTEM_PENDING = ("impact = 'blocking' AND status = 'resolved' AND (cause IS NULL OR detection IS NULL"
                       " OR solution IS NULL OR prevention IS NULL)")


def info_since(conn, start: str, most: int) -> list[dict]:
    return _summaries(conn, "opened_at >= ? AND impact = 'info'", (start,), "opened_at DESC", most)


def resolved_since(conn, start: str) -> int:
    return conn.execute("SELECT COUNT(*) FROM errors WHERE resolved_at IS NOT NULL AND resolved_at >= ?",
                        (start,)).fetchone()[0]


def open_by_urgency(conn, most: int) -> list[dict]:
    order = ("CASE impact WHEN 'blocking' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, opened_at")
    return _summaries(conn, f"status IN {OPEN_SQL}", (), order, most)


def postmortems_pending(conn, start: str, most: int) -> list[dict]:
    return _summaries(conn, f"{_POSTMORTEM_PENDING} AND opened_at >= ?", (start,), "opened_at DESC", most)


def flapping(conn, most: int) -> list[dict]:
    # ordered by last_seen: the partial index errors_flapping answers it without touching other rows
    return _summaries(conn, "flapping = 1", (), "last_seen DESC", most)


def notices_since(conn, start: str) -> dict:
    return {action: count for action, count in conn.execute(
        "SELECT action, COUNT(*) FROM events WHERE action IN ('escalation', 'reminder') AND at >= ?"
        " GROUP BY action", (start,))}


def _summaries(conn, where: str, params, order: str, most: int) -> list[dict]:
    rows = conn.execute(f"SELECT {', '.join(SUMMARY_COLUMNS)} FROM errors WHERE {where} ORDER BY {order}"
                        " LIMIT ?", (*params, most)).fetchall()
    return [{"id": f"error-{r['id']}", "type": r["type"], "service": r["service"], "project": r["project"] or None,
             "impact": r["impact"], "status": r["status"], "opened_at": r["opened_at"]} for r in rows]


# -- `improvements show`: the errors an improvement targets, in a window of time ---------------------

REPORTED = ("created", "occurred", "regressed")


def targeted_window(conn, ids: list[int], names: list[str], start: str, end: str) -> tuple[int, int, list[float]]:
    """Events in [start, end) of the errors with these numbers or of these types or services (lower case):
    (occurrences reported, errors they belong to, resolution seconds sorted)."""
    match, params = _targeted(ids, names)
    joined = (f"FROM events e JOIN errors r ON r.id = e.subject_id WHERE e.subject = 'error' AND e.at >= ?"
              f" AND e.at < ? AND ({match})")
    marks = ", ".join("?" * len(REPORTED))
    occurrences, errors = conn.execute(f"SELECT COUNT(*), COUNT(DISTINCT r.id) {joined} AND e.action IN ({marks})",
                                       (start, end, *params, *REPORTED)).fetchone()
    seconds = json_number(conn, "e.data", "resolution_seconds")
    resolutions = [row[0] for row in conn.execute(
        f"SELECT {seconds} AS v {joined} AND e.action = 'status' AND e.to_status = 'resolved'"
        f" AND {seconds} IS NOT NULL ORDER BY v", (start, end, *params))]
    return occurrences, errors, resolutions


def _targeted(ids: list[int], names: list[str]) -> tuple[str, list]:
    clauses, params = [], []
    if ids:
        clauses.append(f"r.id IN ({', '.join('?' * len(ids))})")
        params += ids
    if names:
        marks = ", ".join("?" * len(names))
        clauses.append(f"lower(r.type) IN ({marks}) OR lower(r.service) IN ({marks})")
        params += names * 2
    return (" OR ".join(clauses) or "0"), params
