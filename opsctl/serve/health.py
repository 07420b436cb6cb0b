"""/api/health and /api/status (and the /api/metrics/* views), computed from the ledger per request.

status: `outage` while a blocking error is open; `degraded` while a warning is open, a delivery
is dead or a probe is failing; else `operational`. health: `unhealthy` (HTTP 503) when the
ledger cannot be read; `degraded` when notifications are dead or a channel is unusable.
"""

from __future__ import annotations

import time
from datetime import timedelta

from .. import __version__
from ..clock import now, to_iso
from ..errors import OpsctlError
from ..ids import format_id
from ..ledger import metrics_queries as q
from .routes import json_response

FAILING_PROBES = ("down", "failing")


def overall(conn) -> tuple[str, dict]:
    """(operational|degraded|outage, the counts it was judged on)."""
    open_counts = q.open_by_impact(conn)
    dead = sum(entry["dead"] for entry in q.outbox_by_channel(conn))
    failing = [p["name"] for p in q.probes(conn) if p["status"] in FAILING_PROBES]
    if open_counts.get("blocking"):
        level = "outage"
    elif open_counts.get("warning") or dead or failing:
        level = "degraded"
    else:
        level = "operational"
    return level, {"open": open_counts, "dead": dead, "failing_probes": failing}


def status(ctx, uptime_seconds: float, *, limit: int = 50) -> dict:
    conn = ctx.conn
    level, basis = overall(conn)
    issues = [{"id": format_id("error", row["id"]), "type": row["type"], "impact": row["impact"],
               "service": row["service"], "message": _first_line(row["details"]) or row["type"],
               "status": row["status"], "occurrences": row["occurrences"], "since": row["opened_at"]}
              for row in q.open_errors(conn, limit)]
    for entry in q.outbox_by_channel(conn):
        if entry["dead"]:
            issues.append({"id": f"outbox-{entry['channel']}", "type": "delivery_dead", "impact": "warning",
                           "service": entry["channel"],
                           "message": f"{entry['dead']} notification(s) could not be delivered"})
    for name in basis["failing_probes"]:
        issues.append({"id": f"probe-{name}", "type": "probe_failing", "impact": "warning", "service": name,
                       "message": f"probe {name} is failing"})
    return {"status": level, "timestamp": to_iso(now()),
            "uptime": {"seconds": round(uptime_seconds, 3), "formatted": formatted(uptime_seconds)},
            "issues": issues, "open_errors": sum(basis["open"].values()),
            "recent_activity": recent_activity(conn)}


def health(settings, ctx_factory) -> tuple[int, dict]:
    """(HTTP status, body): 503 when the ledger cannot be read."""
    moment = now()
    body = {"status": "healthy", "timestamp": to_iso(moment), "version": __version__, "services": {},
            "queue": {"pending": 0, "processing": 0, "failed": 0, "completed_last_hour": 0},
            "errors": {"open": 0, "last_hour": 0, "critical_count": 0}, "checks": {}}
    started = time.perf_counter()
    ctx = ctx_factory()
    try:
        conn = ctx.conn
        open_counts = q.open_by_impact(conn)
        outbox = q.outbox_by_channel(conn)
        hour_ago = to_iso(moment - timedelta(hours=1))
        body["errors"] = {"open": sum(open_counts.values()), "last_hour": q.since_count(conn, hour_ago),
                          "critical_count": open_counts.get("blocking", 0)}
        body["queue"] = {"pending": sum(e["pending"] - e["processing"] for e in outbox),
                         "processing": sum(e["processing"] for e in outbox),
                         "failed": sum(e["dead"] for e in outbox),
                         "completed_last_hour": q.sent_since(conn, hour_ago)}
    except OpsctlError as exc:
        body["status"] = "unhealthy"
        body["services"]["ledger"] = {"status": "down", "error": _scrubbed(exc.message)}
        body["checks"]["ledger:responseTime"] = [{"componentType": "datastore", "status": "fail",
                                                  "output": _scrubbed(exc.message), "time": body["timestamp"]}]
        return 503, body
    finally:
        ctx.close()
    latency = round((time.perf_counter() - started) * 1000, 2)
    body["services"]["ledger"] = {"status": "up", "latency_ms": latency}
    body["checks"]["ledger:responseTime"] = [{"componentType": "datastore", "observedValue": latency,
                                              "observedUnit": "ms", "status": "pass", "time": body["timestamp"]}]
    by_channel = {entry["channel"]: entry for entry in outbox}
    for name in _channel_names(ctx) | set(by_channel):
        entry = by_channel.get(name, {"pending": 0, "dead": 0})
        state = "degraded" if entry["dead"] else "up"
        body["services"][name] = {"status": state, "pending": entry["pending"], "dead": entry["dead"]}
        body["checks"][f"{name}:deliveries"] = [{"componentType": "channel", "observedValue": entry["dead"],
                                                 "observedUnit": "dead notifications",
                                                 "status": "warn" if entry["dead"] else "pass",
                                                 "time": body["timestamp"]}]
    if body["queue"]["failed"]:
        body["status"] = "degraded"
    return 200, body


def _channel_names(ctx) -> set[str]:
    from ..channels.registry import configured

    try:
        return {channel.name for channel in configured(ctx)}
    except OpsctlError:  # a broken opsctl.yaml: `opsctl doctor` explains it; health still answers
        return set()


def recent_activity(conn, limit: int = 10) -> list[dict]:
    activity = []
    for event in q.recent_events(conn, limit):
        subject = "error" if event["subject"] == "error" else event["subject"]
        activity.append({"at": event["at"], "id": format_id(subject, event["subject_id"]),
                         "action": event["action"], "to_status": event["to_status"], "actor": event["actor"],
                         "service": event["service"], "impact": event["impact"]})
    return activity


def formatted(seconds: float) -> str:
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if days or hours:
        parts.append(f"{hours}h")
    if days or hours or minutes:
        parts.append(f"{minutes}m")
    parts.append(f"{secs}s")
    return " ".join(parts)


def _first_line(text: str | None, width: int = 200) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def _scrubbed(text: str) -> str:
    from ..scrub import scrub

    return scrub(text)


# -- views --------------------------------------------------------------------------------------

def health_view(app, request):
    code, body = health(app.settings, lambda: app.context(request))
    return json_response(code, body)


def status_view(app, request):
    ctx = app.context(request)
    try:
        return json_response(200, status(ctx, app.uptime_seconds()))
    finally:
        ctx.close()


def metrics_view(app, request, kind: str):
    from . import stats

    ctx = app.context(request)
    try:
        return json_response(200, stats.REPORTS[kind](ctx, app))
    finally:
        ctx.close()
