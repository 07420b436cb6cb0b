"""GET /api/badge/<service>.svg: a shields-style badge (up / degraded / down) for a README."""

from __future__ import annotations

from urllib.parse import unquote

from ..ledger import metrics_queries as q
from .html import e
from .routes import Response

COLOURS = {"up": "#1a7f37", "degraded": "#9a6700", "down": "#cf222e"}


def state(conn, service: str) -> str:
    """down: a blocking error is open (or its probe is down); degraded: a warning is open or a probe fails."""
    impacts = set(q.service_open_impacts(conn, service))
    probe = q.probe_status(conn, service)
    if "blocking" in impacts or probe == "down":
        return "down"
    if "warning" in impacts or probe == "failing":
        return "degraded"
    return "up"


def svg(label: str, value: str) -> bytes:
    left, right = 6 * len(label) + 12, 6 * len(value) + 12
    width = left + right
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{e(label)}: {e(value)}">
<title>{e(label)}: {e(value)}</title>
<rect width="{left}" height="20" fill="#555"/><rect x="{left}" width="{right}" height="20" fill="{COLOURS[value]}"/>
<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle">
<text x="{left / 2}" y="14">{e(label)}</text><text x="{left + right / 2}" y="14">{e(value)}</text></g></svg>
""".encode("utf-8")


def badge_view(app, request, service: str) -> Response:
    service = unquote(service)
    ctx = app.context(request)
    try:
        value = state(ctx.conn, service)
    finally:
        ctx.close()
    return Response(200, svg(service[:60], value), "image/svg+xml; charset=utf-8", {"Cache-Control": "max-age=60"})
