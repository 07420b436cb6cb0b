"""log_improvement and the improvements list."""

from __future__ import annotations

from ..clock import now, to_iso
from ..context import Context, ensure
from ..ledger import improvements_table, transaction
from ..vocab import IMPROVEMENT_CATEGORIES, choose
from .inputs import text, text_list


def log_improvement(department: str, operation: str, improvement: str, *, impact: str | None = None,
                    category: str = "automation", targets=None, ctx: Context | None = None) -> dict:
    """Record what was improved and why; `targets` names the errors (or type/service) it should prevent."""
    record = {
        "department": text("department", department),
        "operation": text("operation", operation),
        "improvement": text("improvement", improvement),
        "impact": text("impact", impact, required=False),
        "category": choose("category", category, IMPROVEMENT_CATEGORIES),
        "targets": _targets(text_list("targets", targets)),
    }
    ctx = ensure(ctx)
    _known_errors(ctx, record["targets"])
    from ..delivery import enqueue
    from ..messages.model import from_improvement
    from .outbox import send_now

    with transaction(ctx.conn):
        row, event_id = improvements_table.record(ctx.conn, record, at=to_iso(now()), actor=ctx.actor)
        public = improvements_table.to_public(row)
        plan = enqueue(ctx, from_improvement(public), subject="improvement", subject_id=row["id"],
                       event_id=event_id, purpose="notify")  # mirrored into Notion when configured
    deliveries = send_now(ctx, plan)
    return dict(public, deliveries=deliveries)


def _targets(values: list[str]) -> list[str]:
    """error-12 / 12 stay error ids; anything else is a type or a service name."""
    from ..ids import format_id, parse_id
    from ..errors import InvalidInput

    cleaned = []
    for value in values:
        try:
            cleaned.append(format_id("error", parse_id("error", value)))
        except InvalidInput:
            cleaned.append(value)
    return cleaned


def _known_errors(ctx: Context, targets: list[str]) -> None:
    """An error id among the targets must exist (exit 2, nothing written); types and services need not."""
    from ..errors import NotFound
    from ..ids import parse_id
    from ..ledger import errors_table

    for target in targets:
        if target.startswith("error-") and errors_table.get(ctx.conn, parse_id("error", target)) is None:
            raise NotFound(f"no error {target} in the ledger; --targets takes error ids, error types or services")

