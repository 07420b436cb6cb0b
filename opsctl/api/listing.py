"""The read side: `list_errors`, `list_requests`, `list_improvements`.

Each returns the same object its `opsctl … list --json` prints (`{"errors": [...], "count": N,
"truncated": bool}` and so on), so a Python caller and an agent reading JSON see one shape.
`iter_errors` yields the errors one by one from a database cursor, for callers that must not hold
a million rows in memory; `iter_errors_json` yields each one's JSON text (the streaming
`errors list --json --limit 0`).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..clock import now, to_iso
from ..context import Context, ensure
from ..durations import parse_since
from ..ledger import errors_table, improvements_table, requests_table
from ..vocab import ERROR_STATUSES, IMPROVEMENT_CATEGORIES, OPEN_STATUSES, REQUEST_STATUSES, choose, error_type, impact

STATUS_CHOICES = (*ERROR_STATUSES, "unresolved", "all")


def _statuses(status: str | None):
    if status is None:  # "" is an invalid status, not "any"
        return None
    chosen: list[str] = []
    for value in status.split(","):
        name = choose("status", value, STATUS_CHOICES)
        if name == "all":
            return None
        chosen += OPEN_STATUSES if name == "unresolved" else [name]
    return list(dict.fromkeys(chosen))


def iter_errors(*, status: str | None = None, type: str | None = None, service: str | None = None,
                project: str | None = None, since: str | None = None, impact_: str | None = None,
                limit: int | None = None, ctx: Context | None = None) -> Iterator[dict]:
    """The matching errors, most recently seen first, one at a time (inputs are checked before the first)."""
    ctx = ensure(ctx)
    filters = _filters(status, type, service, project, since, impact_, limit)
    return (errors_table.to_public(row) for row in errors_table.query(ctx.conn, **filters))


def iter_errors_json(*, status: str | None = None, type: str | None = None, service: str | None = None,
                     project: str | None = None, since: str | None = None, impact_: str | None = None,
                     limit: int | None = None, ctx: Context | None = None) -> Iterator[str]:
    """As `iter_errors`, each error as its JSON text (on SQLite the database renders it)."""
    ctx = ensure(ctx)
    filters = _filters(status, type, service, project, since, impact_, limit)
    if ctx.conn.backend == "sqlite":
        return errors_table.query_json(ctx.conn, **filters)
    import json

    return (json.dumps(errors_table.to_public(row), ensure_ascii=False, default=str)
            for row in errors_table.query(ctx.conn, **filters))


def _filters(status, type, service, project, since, impact_, limit) -> dict:
    """The checked filters as errors_table.query takes them."""
    return {"statuses": _statuses(status), "since": to_iso(parse_since(since, now())) if since else None,
            "error_type": error_type(type) if type is not None else None,  # "" is invalid, not "any"
            "impact": impact(impact_) if impact_ is not None else None,
            "service": service, "project": project, "limit": limit}


def list_errors(*, status: str | None = None, type: str | None = None, service: str | None = None,
                project: str | None = None, since: str | None = None, impact_: str | None = None,
                limit: int | None = 100, ctx: Context | None = None) -> dict:
    """`{"errors": [...], "count": N, "truncated": bool}`: at most `limit` (None or 0: all), newest first."""
    rows = list(iter_errors(status=status, type=type, service=service, project=project, since=since,
                            impact_=impact_, limit=limit + 1 if limit else None, ctx=ctx))
    return _page("errors", rows, limit)


def list_requests(*, status: str | None = None, limit: int | None = None, ctx: Context | None = None) -> dict:
    """`{"requests": [...], "count": N, "truncated": bool}`, newest first."""
    status = choose("request status", status, REQUEST_STATUSES) if status else None
    ctx = ensure(ctx)
    rows = requests_table.query(ctx.conn, status=status, limit=limit + 1 if limit else None)
    return _page("requests", [requests_table.to_public(row) for row in rows], limit)


def list_improvements(*, category: str | None = None, department: str | None = None, limit: int | None = None,
                      ctx: Context | None = None) -> dict:
    """`{"improvements": [...], "count": N, "truncated": bool}`, newest first."""
    category = choose("category", category, IMPROVEMENT_CATEGORIES) if category else None
    ctx = ensure(ctx)
    rows = improvements_table.query(ctx.conn, category=category, department=department,
                                    limit=limit + 1 if limit else None)
    return _page("improvements", [improvements_table.to_public(row) for row in rows], limit)


def _page(key: str, items: list[dict], limit: int | None) -> dict:
    truncated = bool(limit) and len(items) > limit
    items = items[:limit] if truncated else items
    return {key: items, "count": len(items), "truncated": truncated}
