"""GET /admin/errors/<id>: one incident — its facts, its timeline of events, its postmortem."""

from __future__ import annotations

import json

from ..errors import InvalidInput
from ..ids import format_id, parse_id
from ..ledger import metrics_queries as q
from ..ledger.events import history
from .dashboard import decision_form
from .html import age, badge, e, page, short
from .routes import Response

POSTMORTEM = (("cause", "Cause"), ("detection", "Detection"), ("solution", "Solution"), ("prevention", "Prevention"))


def incident_view(app, request, error_id: str) -> Response:
    try:
        number = parse_id("error", error_id)
    except InvalidInput as exc:
        return Response(400, page("bad id", f"<h1>{e(exc.message)}</h1>", refresh=False), "text/html; charset=utf-8")
    ctx = app.context(request)
    try:
        row = q.error_row(ctx.conn, number)
        events = history(ctx.conn, "error", number) if row is not None else []
    finally:
        ctx.close()
    if row is None:
        name = format_id("error", number)
        return Response(404, page("not found", f"<h1>{e(name)} is not in the ledger</h1>"
                                  '<p><a href="/admin/operations">back</a></p>', refresh=False),
                        "text/html; charset=utf-8")
    return Response(200, render(row, events), "text/html; charset=utf-8")


def render(row, events: list[dict]) -> bytes:
    error_id = format_id("error", row["id"])
    options = json.loads(row["options"] or "[]")
    facts = [("service", e(row["service"])), ("project", e(row["project"] or "–")), ("type", e(row["type"])),
             ("impact", badge(row["impact"])), ("status", badge(row["status"])),
             ("occurrences", e(row["occurrences"])), ("opened", f"{short(row['opened_at'])} ({e(age(row['opened_at']))} ago)"),
             ("last seen", short(row["last_seen"])), ("resolved", short(row["resolved_at"]) or "–")]
    if row["decision"]:
        chosen = options[row["decision"] - 1] if 0 < row["decision"] <= len(options) else ""
        facts.append(("decision", e(f"{row['decision']}. {chosen}")))
    fact_rows = "".join(f"<tr><th>{e(k)}</th><td>{v}</td></tr>" for k, v in facts)
    timeline = "".join(
        f"<li><b>{short(ev['at'])}</b> {e(ev['action'])}"
        + (f" {e(ev['from_status'] or '')} → {e(ev['to_status'])}" if ev["to_status"] else "")
        + (f" · <span class=muted>{e(ev['actor'])}</span>" if ev["actor"] else "")
        + (f"<br>{e(ev['note'])}" if ev["note"] else "") + "</li>" for ev in events)
    postmortem = "".join(f"<tr><th>{label}</th><td>{e(row[name]) or '<span class=muted>not written yet</span>'}</td></tr>"
                         for name, label in POSTMORTEM)
    live = row["status"] not in ("resolved", "false_positive")
    body = f"""<header><h1>{e(error_id)}</h1>{badge(row['impact'])}{badge(row['status'])}
<a href="/admin/operations">← operations</a></header>
<div class="grid">
<section><h2>Facts</h2><table>{fact_rows}</table></section>
<section><h2>Details</h2><pre>{e(row['details'])}</pre>
{'<h2>Decide</h2>' + decision_form(error_id, options, row['decision']) if live and options else ''}</section>
<section><h2>Timeline</h2><ol class="timeline">{timeline}</ol></section>
<section><h2>Postmortem</h2><table>{postmortem}</table></section>
</div>"""
    return page(f"{error_id} — {row['service']}", body)
