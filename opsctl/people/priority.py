"""P0-P3: the runbook's four severities, kept on the error beside its three-tier impact.

| priority | impact   | respond within |
|----------|----------|----------------|
| P0       | blocking | immediately    |
| P1       | blocking | 30 minutes     |
| P2       | warning  | 2 hours        |
| P3       | info     | 24 hours       |

`--impact P1` records P1 (the impact is blocking, as before); an error raised by an alert rule gets
the priority of its severity (CRITICAL P0, ERROR P1, WARNING P2, INFO P3); anything else reads as
the default for its impact (blocking P0, warning P2, info P3).
"""

from __future__ import annotations

PRIORITIES = ("P0", "P1", "P2", "P3")
TARGET_SECONDS = {"P0": 0, "P1": 30 * 60, "P2": 2 * 3600, "P3": 24 * 3600}
TARGET_TEXT = {"P0": "immediately", "P1": "within 30 minutes", "P2": "within 2 hours", "P3": "within 24 hours"}
DEFAULT = {"blocking": "P0", "warning": "P2", "info": "P3"}
TARGET_LIMITS = tuple(TARGET_SECONDS[p] or 5 * 60 for p in PRIORITIES)  # P0 "immediately": the blocking tier's 5 min


def parse(raw: str | None) -> str | None:
    key = (raw or "").strip().upper()
    return key if key in PRIORITIES else None


def of_row(row) -> str:
    return row["priority"] or DEFAULT[row["impact"]]


def remember(ctx, error_id: int, raw_impact: str | None, source: str | None) -> None:
    """Inside the recording transaction: the priority the report gave (--impact P1, or its rule's severity)."""
    level = parse(raw_impact)
    if level is None and source and source.startswith("run:") and source.count(":") >= 2 and \
            ((ctx.config or {}).get("alerts") or (ctx.config or {}).get("rules")):
        from .announce import rule_of_any

        rule = rule_of_any(ctx.config, source)
        level = rule.priority if rule is not None else None
    if level is None:
        return
    from ..ledger import people_table

    people_table.set_priority(ctx.conn, error_id, level)


def deadline_rows(groups) -> list[dict]:
    """For `stats`: per priority, the target, how many errors, how many were answered within it.

    `groups`: rows with `priority`, `impact`, `errors`, `answered` and `within_<n>`, answered within
    TARGET_LIMITS[n] (reports_queries.window_groups)."""
    counts = {p: {"priority": p, "target": TARGET_TEXT[p], "target_seconds": TARGET_SECONDS[p], "errors": 0,
                  "answered": 0, "within_target": 0} for p in PRIORITIES}
    for group in groups:
        level = group["priority"] or DEFAULT[group["impact"]]
        entry = counts[level]
        entry["errors"] += group["errors"]
        entry["answered"] += group["answered"]
        entry["within_target"] += group[f"within_{PRIORITIES.index(level)}"] or 0
    return list(counts.values())
