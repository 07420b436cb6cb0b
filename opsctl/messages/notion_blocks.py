"""Notion rendering: page blocks and property values, within Notion's limits.

Limits respected (developers.notion.com/reference/request-limits): 2,000 characters (UTF-16
units) per rich-text item, 100 items per rich-text array, 100 blocks per children array (the
channel appends the rest in batches of 100).
"""

from __future__ import annotations

from .model import Notification

TEXT_UNITS = 2000
RICH_ITEMS = 100
BLOCKS_PER_REQUEST = 100
DETAILS_UNITS = 90 * TEXT_UNITS  # one callout holds at most 100 items; leave room for labels
MAX_OPTIONS = 90


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split(text: str, limit: int = TEXT_UNITS) -> list[str]:
    """Pieces of at most `limit` UTF-16 units, never cutting a surrogate pair in half."""
    pieces, current, used = [], [], 0
    for char in text:
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > limit:
            pieces.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += size
    if current:
        pieces.append("".join(current))
    return pieces


def cut(text: str, limit: int, note: str = "… (cut)") -> str:
    if units(text) <= limit:
        return text
    return split(text, limit - units(note))[0] + note


def rich(text: str, *, bold: bool = False, code: bool = False, limit_items: int = RICH_ITEMS) -> list[dict]:
    items = []
    for piece in split(text)[:limit_items]:
        item = {"type": "text", "text": {"content": piece}}
        if bold or code:
            item["annotations"] = {"bold": bold, "code": code}
        items.append(item)
    return items


def paragraph(text: str, **style) -> dict:
    return {"type": "paragraph", "paragraph": {"rich_text": rich(text, **style)}}


def error_blocks(note: Notification) -> list[dict]:
    """A red callout with impact and details; the numbered options inside it."""
    text = []
    if note.impact:
        within = f" — {note.tier}, respond {note.respond_within}" if note.respond_within else ""
        text += rich("Impact: ", bold=True) + rich(f"{note.impact}{within}\n")
    if note.details:
        details = note.details
        if units(details) > DETAILS_UNITS:
            details = cut(details, DETAILS_UNITS, f"… (cut: {len(note.details):,} characters in all; "
                                                  f"`opsctl errors show {note.id}` has the full text)")
        text += rich("Details: ", bold=True) + rich(details)
    children: list[dict] = []
    if note.options:
        children.append(paragraph("Options:", bold=True))
        for option in note.options[:MAX_OPTIONS]:
            children.append({"type": "numbered_list_item",
                             "numbered_list_item": {"rich_text": rich(cut(option, TEXT_UNITS))}})
    if note.recommendation:
        children.append(paragraph(cut(f"Recommendation: {note.recommendation}", TEXT_UNITS)))
    if note.answer_hint:
        children.append(paragraph(f"Your decision? Answer with `{note.answer_hint}`"))
    callout = {"rich_text": (text or rich(note.title))[:RICH_ITEMS], "icon": {"type": "emoji", "emoji": "🚨"},
               "color": "red_background"}
    if children:
        callout["children"] = children[:BLOCKS_PER_REQUEST]
    return [{"type": "callout", "callout": callout}]


def request_blocks(note: Notification) -> list[dict]:
    lines = [f"{label}: {value}" for label, value in note.facts.items()]
    text = rich("Purpose: ", bold=True) + rich(cut(note.details, 50 * TEXT_UNITS))
    if lines:
        text += rich("\n" + cut("\n".join(lines), 40 * TEXT_UNITS))
    callout = {"rich_text": text[:RICH_ITEMS], "icon": {"type": "emoji", "emoji": "🔌"}, "color": "yellow_background",
               "children": [paragraph(f"Decide with `{note.answer_hint}`")] if note.answer_hint else []}
    if not callout["children"]:
        del callout["children"]
    return [{"type": "callout", "callout": callout}]


def improvement_blocks(record: dict) -> list[dict]:
    blocks = [paragraph(cut(record.get("improvement") or "", 50 * TEXT_UNITS))]
    if record.get("impact"):
        blocks.append(paragraph(cut(f"Impact: {record['impact']}", 50 * TEXT_UNITS)))
    return blocks


def batches(blocks: list[dict], size: int = BLOCKS_PER_REQUEST) -> list[list[dict]]:
    return [blocks[i:i + size] for i in range(0, len(blocks), size)] or [[]]


def property_value(kind: str, value):
    """A Python value as a Notion property value of type `kind` (None clears it)."""
    empty = value is None or value == ""
    if kind in ("title", "rich_text"):
        return {kind: [] if empty else rich(cut(str(value), TEXT_UNITS), limit_items=1)}
    if kind in ("select", "status"):
        return {kind: None if empty else {"name": _option(value)}}
    if kind == "multi_select":
        names = [] if empty else (value if isinstance(value, (list, tuple)) else [value])
        return {kind: [{"name": _option(v)} for v in names if str(v).strip()][:100]}
    if kind == "number":
        return {kind: None if empty else round(float(value), 2)}
    if kind == "date":
        return {kind: None if empty else {"start": str(value)}}
    if kind == "checkbox":
        return {kind: bool(value)}
    if kind in ("url", "email", "phone_number"):
        return {kind: None if empty else str(value)[:2000]}
    return None  # formulas, relations, people...: not ours to write


def properties(schema: dict[str, str], values: dict, title: str) -> dict:
    """Only the properties the data source has, each in its own type."""
    out = {}
    for name, kind in schema.items():
        if kind == "title":
            out[name] = property_value("title", title)
        elif name in values:
            converted = property_value(kind, values[name])
            if converted is not None:
                out[name] = converted
    return out


def _option(value) -> str:
    # select option names cannot hold commas and stop at 100 characters
    return " ".join(str(value).replace(",", " ").split())[:100]


class Duration:
    """Seconds that read as "1h 30m" in a text property and as minutes in a number property."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def __str__(self) -> str:
        from ..durations import format_duration

        return format_duration(self.seconds)

    def __float__(self) -> float:
        return self.seconds / 60
