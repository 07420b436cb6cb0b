"""GET /admin/operations: the operations dashboard, rendered on the server from the ledger.

Status badge, open errors (with decision buttons for whoever has the token), recent activity,
jobs (success rate, duration sparkline), the numbers jobs report over time (data quality),
outbox health, probes and quotas with their forecast. Refreshes itself every 30 s.
"""

from __future__ import annotations

import json

from ..ids import format_id
from ..ledger import metrics_queries as q
from .html import age, badge, e, page, short, sparkline, table
from .routes import Response

SPARK_RUNS = 30


def operations_view(app, request) -> Response:
    ctx = app.context(request)
    try:
        body = render(ctx, app)
    finally:
        ctx.close()
    return Response(200, body, "text/html; charset=utf-8")


def home_view(app, request) -> Response:
    return Response(302, b"", "text/plain", {"Location": "/admin/operations"})


def render(ctx, app) -> bytes:
    from .health import overall, recent_activity
    from .quotas import quotas
    from .stats import jobs_report, numeric_metrics

    conn = ctx.conn
    level, basis = overall(conn)
    errors = q.open_errors(conn, 200)
    jobs = jobs_report(ctx)["jobs"]
    histories = {job["job"]: q.job_history(conn, job["job"], SPARK_RUNS) for job in jobs}
    sections = [
        _section("Open errors", _errors_table(errors, app), wide=True, anchor="errors"),
        _section("Jobs", _jobs_table(jobs, histories), anchor="jobs"),
        _section("Job metrics over time", _metrics_panels(histories, numeric_metrics), anchor="job-metrics"),
        _section("Outbox", _outbox_table(q.outbox_by_channel(conn)), anchor="outbox"),
        _section("Probes", _probes_table(q.probes(conn)), anchor="probes"),
        _section("Quotas", _quotas_table(quotas(conn)), anchor="quotas"),
        _section("Recent activity", _activity_table(recent_activity(conn, 20)), wide=True, anchor="activity"),
    ]
    counts = basis["open"]
    header = f"""<header><h1>Operations</h1>{badge(level, level)}
<span class="kpis"><span class="kpi"><b id="open-blocking">{counts.get('blocking', 0)}</b>blocking</span>
<span class="kpi"><b id="open-warning">{counts.get('warning', 0)}</b>warning</span>
<span class="kpi"><b id="open-info">{counts.get('info', 0)}</b>info</span>
<span class="kpi"><b>{basis['dead']}</b>dead notifications</span></span></header>"""
    token_box = ('<p id="token-box">Decisions need the server\'s token (OPSCTL_SERVE_TOKEN): type it in a '
                 'decision form; with JavaScript on, this browser remembers it.</p>')
    return page(f"opsctl — {level}", header + token_box + '<div class="grid">' + "".join(sections) + "</div>")


def _section(title: str, content: str, *, wide: bool = False, anchor: str = "") -> str:
    return f'<section id="{anchor}" class="{"wide" if wide else ""}"><h2>{e(title)}</h2>{content}</section>'


def _errors_table(errors, app) -> str:
    rows = []
    for row in errors:
        error_id = format_id("error", row["id"])
        options = json.loads(row["options"] or "[]")
        rows.append([
            f'<a href="/admin/errors/{e(error_id)}">{e(error_id)}</a>', e(row["service"]),
            badge(row["impact"]), badge(row["status"]), e(age(row["opened_at"])), e(row["occurrences"]),
            e(_clip(row["details"])), decision_form(error_id, options, row["decision"]),
        ])
    return table(["id", "service", "impact", "status", "age", "occurrences", "details", "decide"], rows,
                 "No open errors.", "stack errors")


def decision_form(error_id: str, options: list[str], decided) -> str:
    if not options:
        return '<span class="muted">no options</span>'
    buttons = "".join(
        f'<button type="submit" name="option" value="{n}"{" class=chosen" if decided == n else ""}>'
        f'{n}. {e(option)}</button>' for n, option in enumerate(options, 1))
    return (f'<form class="decide" method="post" action="/api/errors/{e(error_id)}/decision">'
            f'<input class="token" type="password" name="token" placeholder="token" autocomplete="off" '
            f'aria-label="token">{buttons}</form>')


def _jobs_table(jobs, histories) -> str:
    rows = []
    for job in jobs:
        runs = histories[job["job"]]
        rate = f"{job['success_rate'] * 100:.0f}%" if job["success_rate"] is not None else "–"
        duration = job["last_duration_seconds"]
        rows.append([e(job["job"]), badge(job["last_status"]), e(rate),
                     sparkline([r["duration_seconds"] for r in runs], label="duration s"),
                     e(f"{duration:.1f}s" if duration is not None else ""), e(age(job["last_run_at"]))])
    return table(["job", "last", "success", "duration", "last took", "ran"], rows, "No job runs yet.", "stack")


def _metrics_panels(histories, numeric_metrics) -> str:
    rows = []
    for job, runs in histories.items():
        series: dict[str, list] = {}
        for n, run in enumerate(runs):
            for name, value in numeric_metrics(run["metrics"]).items():
                series.setdefault(name, [None] * len(runs))[n] = value
        for name, values in sorted(series.items()):
            latest = next((v for v in reversed(values) if v is not None), None)
            rows.append([e(job), e(name), e(f"{latest:g}" if latest is not None else ""),
                         sparkline(values, label=name)])
    return table(["job", "metric", "latest", "over time"], rows,
                 "No job has reported metrics yet (opsctl run --metrics, or a JSON line from the job).", "stack")


def _outbox_table(outbox) -> str:
    rows = [[e(x["channel"]), e(x["pending"]), badge(x["dead"], "bad" if x["dead"] else "ok"),
             e(age(x["oldest_pending_at"]))] for x in outbox]
    return table(["channel", "pending", "dead", "oldest waiting"], rows, "Nothing waiting, nothing dead.", "stack")


def _probes_table(probes) -> str:
    rows = [[e(p["name"]), badge(p["status"]), e(f"{p['last_latency_ms']:.0f} ms" if p["last_latency_ms"] else ""),
             e(age(p["last_checked_at"]))] for p in probes]
    return table(["probe", "status", "latency", "checked"], rows, "No probes have run.", "stack")


def _quotas_table(found) -> str:
    rows = []
    for x in found:
        ratio = x["used_ratio"]
        level = "bad" if ratio is not None and ratio >= 0.9 else "warn" if ratio is not None and ratio >= 0.8 else "ok"
        used = badge(f"{ratio * 100:.0f}%", level) if ratio is not None else e(x["problem"] or "")
        rows.append([e(x["service"]), used, e(x["exhausted_day"] or "–"), e(x["forecast"] or "")])
    return table(["service", "used", "runs out", "forecast"], rows, "No quota readings yet.", "stack")


def _activity_table(activity) -> str:
    rows = [[short(a["at"]), _link(a["id"]), e(a["action"] + (f" → {a['to_status']}" if a["to_status"] else "")),
             e(a["service"] or ""), e(a["actor"] or "")] for a in activity]
    return table(["when", "what", "action", "service", "by"], rows, "Nothing has happened yet.", "stack")


def _link(subject_id: str) -> str:
    if subject_id.startswith("error-"):
        return f'<a href="/admin/errors/{e(subject_id)}">{e(subject_id)}</a>'
    return e(subject_id)


def _clip(text: str | None, width: int = 140) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"
