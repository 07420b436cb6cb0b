"""Markdown rendering in the runbook's format (terminal, notify_user, webhooks)."""

from __future__ import annotations

from .model import Notification

ICONS = {"blocking": "🚨", "warning": "⚠️", "info": "ℹ️"}


def render_markdown(note: Notification) -> str:
    icon = ICONS.get(note.impact or "", "🔔")
    lines = [f"{icon} **{note.title}** ({note.id})", ""]
    start = len(lines)
    if note.type:
        lines.append(f"**Error type:** {note.type}")
    if note.service and note.kind != "request":
        lines.append(f"**Service:** {note.service}")
    if note.project:
        lines.append(f"**Project:** {note.project}")
    if note.impact and note.kind != "request":
        suffix = f" — {note.tier}, respond {note.respond_within}" if note.respond_within else ""
        lines.append(f"**Impact:** {note.impact}{suffix}")
    if note.status and note.kind != "error":
        lines.append(f"**Status:** {note.status}")
    if note.occurrences and note.occurrences > 1:
        lines.append(f"**Occurrences:** {note.occurrences}")
    for label, value in note.facts.items():
        lines.append(f"**{label}:** {value}")
    if note.details:
        lines.append(f"**Details:** {note.details}")
    lines[start:] = [f"- {line}" for line in lines[start:]]
    if note.options:
        lines += ["", "**Options:**"]
        lines += [f"{number}. {option}" for number, option in enumerate(note.options, 1)]
    if note.recommendation:
        lines += ["", f"**Recommendation:** {note.recommendation}"]
    if note.kind in ("error", "request", "escalation", "reminder"):
        hint = f" (answer with `{note.answer_hint}`)" if note.answer_hint else ""
        lines += ["", f"**Your decision?**{hint}"]
    return "\n".join(lines)
