"""Slack rendering: Block Kit blocks plus the plain `text` fallback, within Slack's limits.

Limits respected (api.slack.com/reference/block-kit): 50 blocks per message, 3,000 characters
per section text, 150 per header, 10 fields of 2,000 per section. Long details are cut with a
note saying how to read the rest.
"""

from __future__ import annotations

from .markdown import ICONS
from .model import Notification

MAX_BLOCKS = 50
SECTION_TEXT = 3000
HEADER_TEXT = 150
FIELD_TEXT = 2000
FALLBACK_TEXT = 3000
STATUS_ICONS = {"resolved": "✅", "false_positive": "➖", "acknowledged": "👀", "escalated": "🚨", "open": "🔴",
                "approved": "✅", "rejected": "❌", "deferred": "⏸️", "integrated": "✅", "pending": "⏳"}


def escape(text: str) -> str:
    """Slack mrkdwn control characters: & < > must be escaped in user text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> str:
    """User text as Slack mrkdwn: escaped, and markdown **bold** as Slack's *bold*."""
    return escape(text).replace("**", "*")


def cut(text: str, limit: int, *, where: str | None = None) -> str:
    if len(text) <= limit:
        return text
    note = f"\n… _cut: {len(text):,} characters in all" + (f"; full text: `{where}`_" if where else "_")
    return text[: max(0, limit - len(note))].rstrip() + note


def _section(text: str, where: str | None = None) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SECTION_TEXT, where=where)}}


def _show_command(note: Notification) -> str:
    kind = {"req": "requests", "imp": "improvements"}.get(note.id.split("-")[0], "errors")
    return f"opsctl {kind} show {note.id}"


def render(note: Notification, *, mention: str | None = None, status_line: str | None = None,
           buttons: bool = True) -> tuple[str, list]:
    """The whole notification: (fallback text, blocks); `buttons` adds the clickable answers (bot token only)."""
    icon = ICONS.get(note.impact or "", "🔔")
    where = _show_command(note)
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "emoji": True,
                                                      "text": cut(f"{icon} {note.title}", HEADER_TEXT)}}]
    if mention:
        blocks.append(_section(mention))
    if status_line:
        blocks.append(_section(status_line))
    fields = []
    for label, value in _facts(note):
        fields.append({"type": "mrkdwn", "text": cut(f"*{label}:*\n{escape(str(value))}", FIELD_TEXT)})
    if fields:
        blocks.append({"type": "section", "fields": fields[:10]})
    if note.details:
        blocks.append(_section(f"*Details:*\n{mrkdwn(note.details)}", where))
    if note.options:
        numbered = "\n".join(f"{n}. {escape(option)}" for n, option in enumerate(note.options, 1))
        blocks.append(_section(f"*Options:*\n{numbered}", where))
    if note.recommendation:
        blocks.append(_section(f"*Recommendation:* {escape(note.recommendation)}", where))
    if buttons:
        from ..slack.actions import blocks as action_blocks

        blocks += action_blocks(note)
    if note.kind in ("error", "request", "escalation", "reminder") and note.answer_hint:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": cut(f"*Your decision?* Answer with `{note.answer_hint}` · {note.id}", 2000)}]})
    if len(blocks) > MAX_BLOCKS:  # keep the buttons and the answer line: cut the middle
        blocks = blocks[:1] + blocks[len(blocks) - MAX_BLOCKS + 1:]
    return fallback(note, mention=mention, status_line=status_line), blocks


def _facts(note: Notification) -> list[tuple[str, str]]:
    facts = [("ID", note.id)]
    if note.type:
        facts.append(("Error type", note.type))
    if note.service and note.kind != "request":
        facts.append(("Service", note.service))
    if note.project:
        facts.append(("Project", note.project))
    if note.impact and note.kind != "request":
        facts.append(("Impact", f"{note.impact} ({note.tier}, respond {note.respond_within})"
                      if note.respond_within else note.impact))
    if note.status:
        facts.append(("Status", f"{STATUS_ICONS.get(note.status, '')} {note.status}".strip()))
    if note.occurrences and note.occurrences > 1:
        facts.append(("Occurrences", str(note.occurrences)))
    facts += list(note.facts.items())
    return facts[:10]


def fallback(note: Notification, *, mention: str | None = None, status_line: str | None = None) -> str:
    """The `text` Slack shows in notifications and where blocks cannot be shown."""
    icon = ICONS.get(note.impact or "", "🔔")
    parts = [mention or "", f"{icon} {escape(note.title)} ({note.id})"]
    if status_line:
        parts.append(f"— {status_line}")
    elif note.impact and note.kind != "request":
        parts.append(f"— {note.impact}")
    text = " ".join(p for p in parts if p)
    if note.details and not status_line:
        text += "\n" + escape(note.details)
    if note.options and not status_line:
        text += "\n" + "\n".join(f"{n}. {escape(o)}" for n, o in enumerate(note.options, 1))
    return cut(text, FALLBACK_TEXT, where=_show_command(note))


def status_line(note: Notification, record: dict | None, purpose: str) -> str:
    """One line for a thread reply: what changed."""
    status = (record or {}).get("status") or note.status or ""
    icon = STATUS_ICONS.get(status, "🔔")
    if purpose == "escalation":
        line = f"🚨 *Escalated:* {note.id} is still *{status}*, waiting for an answer"
    elif purpose == "reminder":
        line = f"⏰ *Reminder:* {note.id} is still *{status}*"
    else:
        line = f"{icon} {note.id} is now *{status}*"
    record = record or {}
    extras = [("Decision", _decision(record)), ("Solution", record.get("solution")),
              ("Resolution time", _duration(record.get("resolution_seconds"))), ("Cause", record.get("cause")),
              ("Prevention", record.get("prevention")), ("Note", record.get("note") or record.get("decision_note"))]
    for label, value in extras:
        if value not in (None, ""):
            line += f"\n*{label}:* {escape(str(value))}"
    return line


def reply(note: Notification, record: dict | None, purpose: str, *, mention: str | None = None) -> tuple[str, list]:
    line = status_line(note, record, purpose)
    text = cut(" ".join(p for p in (mention, line) if p), SECTION_TEXT)
    return cut(text, FALLBACK_TEXT), [_section(text, _show_command(note))]


def _decision(record: dict) -> str | None:
    number = record.get("decision")
    if not number:
        return None
    options = record.get("options") or []
    if isinstance(number, int) and 0 < number <= len(options):
        return f"option {number}: {options[number - 1]}"
    return str(number)


def _duration(seconds) -> str | None:
    if seconds is None:
        return None
    from ..durations import format_duration

    return format_duration(seconds)
