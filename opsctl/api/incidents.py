"""Raising and auto-resolving the errors that opsctl's own checks find.

Runs, quota checks and probes raise errors through `notify_error` (so dedup,
remediation and escalation apply) with a `source` naming the check
(`run:nightly`, `quota:Scraper API`, `probe:api-health`). They auto-resolve only
an open error whose source is theirs: an error a person or agent reported for
the same service is never closed behind their back.

The look-up is one indexed query, so a healthy run costs no more than that;
the notify machinery is imported only when something has to change.
"""

from __future__ import annotations

from ..ids import format_id


def find_open(conn, error_type: str, service: str, project: str | None = None):
    """The open error for this type/service/project, or None."""
    from ..ledger.errors_table import find_open, fingerprint

    return find_open(conn, fingerprint(error_type, service, project))


def open_by_source(conn, sources: list[str]) -> list:
    """Open errors raised by these checks (few rows: only open ones are scanned)."""
    from ..ledger.errors_table import open_by_source

    return open_by_source(conn, sources)


def raise_error(ctx, error_type: str, service: str, details: str, impact: str, options: list[str], *,
                source: str, project: str | None = None, recommendation: str | None = None) -> dict:
    from .errors import notify_error

    return notify_error(error_type, service, details, impact, options or None, project=project,
                        recommendation=recommendation, source=source, ctx=ctx)


def resolve_own(ctx, error_type: str, service: str, *, source: str, solution: str,
                project: str | None = None) -> str | None:
    """Resolve the open error of this fingerprint if `source` raised it; its id, else None."""
    row = find_open(ctx.conn, error_type, service, project)
    if row is None or row["source"] != source:
        return None
    return resolve_id(ctx, row["id"], solution)


def resolve_id(ctx, error_id: int, solution: str) -> str | None:
    from .errors import update_error
    from ..errors import InvalidInput

    try:
        update_error(error_id, "resolved", solution=solution, note="resolved automatically", ctx=ctx)
    except InvalidInput:  # someone closed it meanwhile
        return None
    return format_id("error", error_id)


def brief(result: dict) -> dict:
    """What a check reports about the error it raised."""
    notification = result.get("notification") or {}
    return {"id": result["id"], "status": result["status"], "impact": result["impact"],
            "occurrences": result["occurrences"], "deduplicated": result["deduplicated"],
            "regression": result.get("regression", False), "deliveries": result.get("deliveries", []),
            "message": notification.get("message")}
