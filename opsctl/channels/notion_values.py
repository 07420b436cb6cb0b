"""What a Notion page says for each ledger record: title, property values by name, body blocks."""

from __future__ import annotations

from ..messages import notion_blocks
from ..messages.notion_blocks import Duration


def page(subject: str, note, record: dict | None) -> tuple[str, dict, list]:
    record = record or {}
    if subject == "error":
        return note.title, error_values(note, record), notion_blocks.error_blocks(note)
    if subject == "request":
        return record.get("tool") or note.service or note.title, request_values(note, record), \
            notion_blocks.request_blocks(note)
    return record.get("improvement") or note.title, improvement_values(note, record), \
        notion_blocks.improvement_blocks(record or {"improvement": note.details})


def error_values(note, error: dict) -> dict:
    seconds = error.get("resolution_seconds")
    return {
        "Error ID": note.id,
        "Type": error.get("type", note.type),
        "Service": error.get("service", note.service),
        "Project": error.get("project", note.project),
        "Impact": error.get("impact", note.impact),
        "Status": error.get("status", note.status),
        "Occurrences": error.get("occurrences", note.occurrences),
        "Occurred": error.get("first_seen"),
        "Acknowledged": error.get("acknowledged_at"),
        "Resolved": error.get("resolved_at"),
        "Resolution time": Duration(seconds) if seconds is not None else None,
        "Solution": error.get("solution"),
        "Cause": error.get("cause"),
        "Detection": error.get("detection"),
        "Prevention": error.get("prevention"),
        "Decision": _decision(error),
        "Details": error.get("details", note.details),
        "Recommendation": error.get("recommendation", note.recommendation),
        "Escalations": error.get("escalations"),
        "Regressions": error.get("regressions"),
    }


def request_values(note, request: dict) -> dict:
    return {
        "Request ID": note.id,
        "Purpose": request.get("purpose", note.details),
        "Alternatives": request.get("alternatives"),
        "Urgency": request.get("urgency"),
        "Cost": request.get("cost"),
        "Status": request.get("status", note.status),
        "Asks": request.get("asks"),
        "Requested": request.get("created_at"),
        "Decided": request.get("decided_at"),
        "Until": request.get("until"),
        "Note": request.get("note"),
    }


def improvement_values(note, improvement: dict) -> dict:
    return {
        "Improvement ID": note.id,
        "Department": improvement.get("department"),
        "Operation": improvement.get("operation"),
        "Impact": improvement.get("impact"),
        "Category": improvement.get("category"),
        "Targets": improvement.get("targets") or [],
        "Logged": improvement.get("created_at"),
    }


def _decision(error: dict) -> str | None:
    number, options = error.get("decision"), error.get("options") or []
    if not number:
        return None
    label = options[number - 1] if isinstance(number, int) and 0 < number <= len(options) else None
    text = f"{number}. {label}" if label else str(number)
    return f"{text} — {error['decision_note']}" if error.get("decision_note") else text
