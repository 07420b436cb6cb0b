"""Small pieces of the /admin pages: escaping, the page frame, badges, ages, sparklines."""

from __future__ import annotations

from html import escape

from ..clock import now, parse_iso

REFRESH_SECONDS = 30
LEVEL_CLASS = {"operational": "ok", "degraded": "warn", "outage": "bad", "blocking": "bad", "warning": "warn",
               "info": "info", "SUCCESS": "ok", "ERROR": "bad", "TIMEOUT": "bad", "SKIPPED": "info",
               "up": "ok", "recovering": "warn", "failing": "warn", "down": "bad", "offline": "info",
               "unknown": "info", "escalated": "bad", "open": "bad", "acknowledged": "warn",
               "resolved": "ok", "false_positive": "info"}


def e(value) -> str:
    """Every stored string goes through here on its way into a page."""
    return escape("" if value is None else str(value), quote=True)


def badge(text, level: str | None = None) -> str:
    css = LEVEL_CLASS.get(level or str(text), "info")
    return f'<span class="badge {css}">{e(text)}</span>'


def page(title: str, body: str, *, refresh: bool = True) -> bytes:
    meta = f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">' if refresh else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{meta}
<title>{e(title)}</title>
<link rel="stylesheet" href="/admin/static/operations.css">
<script src="/admin/static/operations.js" defer></script>
</head>
<body>
{body}
<footer>opsctl · refreshed every {REFRESH_SECONDS} s · <a href="/admin/operations">operations</a> ·
<a href="/api/status">status JSON</a> · <a href="/metrics">metrics</a></footer>
</body>
</html>
""".encode("utf-8")


def age(iso: str | None) -> str:
    if not iso:
        return ""
    seconds = max(0, int((now() - parse_iso(iso)).total_seconds()))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def sparkline(values: list[float | None], *, width: int = 120, height: int = 24, label: str = "") -> str:
    """An inline SVG line through the values (None: a gap); empty for fewer than two numbers."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return '<span class="muted">–</span>'
    low, high = min(v for _, v in points), max(v for _, v in points)
    span = (high - low) or 1.0
    step = width / max(1, len(values) - 1)
    coords = " ".join(f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}" for i, v in points)
    title = f"{label}: {low:g} – {high:g}" if label else f"{low:g} – {high:g}"
    return (f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{e(title)}"><title>{e(title)}</title>'
            f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{coords}"/></svg>')


def table(headers: list[str], rows: list[list[str]], empty: str, css: str = "") -> str:
    if not rows:
        return f'<p class="muted">{e(empty)}</p>'
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td data-label="{e(h)}">{cell}</td>' for h, cell in zip(headers, row,
                                                                                            strict=False)) + "</tr>"
                   for row in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def short(iso: str | None) -> str:
    return e((iso or "")[:16].replace("T", " "))
