"""`stats` sections for issue 12: P0-P3 response targets, false positives per rule."""

from __future__ import annotations


def sections(conn, since: str, groups) -> dict:
    """`groups`: the window's rows from reports_queries.window_groups (they carry the priority targets)."""
    from ..ledger.people_table import false_positives_by_source
    from .priority import deadline_rows

    by_rule: dict[str, int] = {}
    for row in false_positives_by_source(conn, since):
        by_rule[rule_name(row["source"])] = by_rule.get(rule_name(row["source"]), 0) + row["n"]
    return {"priority_deadlines": deadline_rows(groups),
            "false_positives_by_rule": [{"rule": k, "false_positives": v} for k, v in
                                        sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))]}


def rule_name(source: str | None) -> str:
    """`run:nightly:job_failed` → `nightly/job_failed`; other sources as they are (`probe:api`, `notify-error`)."""
    if source and source.startswith("run:"):
        parts = source.split(":", 2)
        return "/".join(parts[1:]) if len(parts) == 3 else f"{parts[1]} (run failed)"
    return source or "unknown"


def show(report: dict, table) -> None:
    """The terminal tables, beside the other stats."""
    if "priority_deadlines" in report:
        table("Response targets by priority", ["priority", "target", "errors", "answered", "within target"],
              [[d["priority"], d["target"], d["errors"], d["answered"], d["within_target"]]
               for d in report["priority_deadlines"]])
    if report.get("false_positives_by_rule"):
        table("False positives by rule (review these alerts)", ["rule", "false positives"],
              [[r["rule"], r["false_positives"]] for r in report["false_positives_by_rule"]])
