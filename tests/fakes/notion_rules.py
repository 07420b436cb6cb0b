"""Notion data rules used by the fake: ids, errors, rich text / block limits,
property values and query filters. Kept apart so ``notion.py`` stays readable."""
from __future__ import annotations

import re
import uuid
from typing import Any

from .base import Reply

RICH = {"title", "rich_text"}
LISTS = RICH | {"multi_select", "people", "relation", "files"}
NOW = "2025-01-01T00:00:00.000Z"


class NotionError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.reply = Reply(status, {"object": "error", "status": status, "code": code,
                                    "message": message, "request_id": str(uuid.uuid4())})


def invalid(msg: str) -> NotionError:
    return NotionError(400, "validation_error", msg)


def not_found(oid: str) -> NotionError:
    return NotionError(404, "object_not_found", f"Could not find object with ID: {oid}. Make sure "
                       "the relevant pages and databases are shared with your integration.")


def nid(raw: Any) -> str:
    """Normalise a dashed or undashed 32-hex id to the dashed form (400 if invalid)."""
    compact = str(raw).replace("-", "").lower()
    if not re.fullmatch(r"[0-9a-f]{32}", compact):
        raise invalid(f"path failed validation: id should be a valid uuid, instead was `{raw}`.")
    return str(uuid.UUID(compact))


def rt(text: str) -> list[dict]:
    return [{"type": "text", "text": {"content": text, "link": None}, "plain_text": text}]


def check_rich(items: Any, where: str) -> list[dict]:
    if not isinstance(items, list):
        raise invalid(f"body failed validation: {where} should be an array.")
    if len(items) > 100:
        raise invalid(f"body failed validation: {where}.length should be ≤ `100`, "
                       f"instead was `{len(items)}`.")
    for i, item in enumerate(items):
        content = ((item or {}).get("text") or {}).get("content") or ""
        units = len(content.encode("utf-16-le")) // 2
        if units > 2000:
            raise invalid(f"body failed validation: {where}[{i}].text.content.length should be "
                           f"≤ `2000`, instead was `{units}`.")
    return [{**x, "type": "text", "plain_text": x.get("text", {}).get("content", "")} for x in items]


def simple(prop: dict) -> Any:
    """Plain value of a page property: text, select name, list of names, date start..."""
    t = prop["type"]
    v = prop.get(t)
    if t in RICH:
        return "".join(x.get("plain_text", "") for x in v or [])
    if t in ("select", "status"):
        return v["name"] if v else None
    if t == "multi_select":
        return [o["name"] for o in v or []]
    if t == "date":
        return v["start"] if v else None
    return v


def title_schema() -> dict:
    return {"title": {"id": "title", "name": "title", "type": "title", "title": {}}}


def empty_props(schema: dict) -> dict:
    return {n: {"id": s["id"], "type": s["type"], s["type"]: [] if s["type"] in LISTS else
                (False if s["type"] == "checkbox" else None)} for n, s in schema.items()}


def check_blocks(blocks: Any, where: str) -> list[dict]:
    if not isinstance(blocks, list):
        raise invalid(f"body failed validation: {where} should be an array.")
    if len(blocks) > 100:
        raise invalid(f"body failed validation: {where}.length should be ≤ `100`, "
                       f"instead was `{len(blocks)}`.")
    for i, b in enumerate(blocks):
        t = (b or {}).get("type") or next((k for k in b or {} if k != "object"), "undefined")
        content = (b or {}).get(t)
        if not isinstance(content, dict):
            raise invalid(f"body failed validation: {where}[{i}].{t} should be defined.")
        if "rich_text" in content:
            content["rich_text"] = check_rich(content["rich_text"], f"{where}[{i}].{t}.rich_text")
        if "children" in content:
            check_blocks(content["children"], f"{where}[{i}].{t}.children")
    return blocks


def matches(page: dict, flt: dict | None) -> bool:
    if not flt:
        return True
    if "and" in flt:
        return all(matches(page, f) for f in flt["and"])
    if "or" in flt:
        return any(matches(page, f) for f in flt["or"])
    if flt.get("timestamp") in ("last_edited_time", "created_time"):  # a timestamp filter: ISO strings compare
        stamp = flt["timestamp"]
        (op, want), = flt[stamp].items()
        have = page[stamp]
        ops = {"after": have > want, "on_or_after": have >= want, "before": have < want,
               "on_or_before": have <= want, "equals": have == want}
        if op not in ops:
            raise invalid(f"fake Notion does not support timestamp operator {op}.")
        return ops[op]
    name = flt.get("property")
    prop = page["properties"].get(name)
    if prop is None:
        raise invalid(f"Could not find property with name or id: {name}")
    kind = next(k for k in flt if k != "property")
    if kind != prop["type"] and {kind, prop["type"]} != RICH:
        raise invalid(f"body failed validation: filter type {kind} does not match "
                       f"property {name} of type {prop['type']}.")
    (op, want), = flt[kind].items()
    have = simple(prop)
    ops = {"equals": lambda: have == want, "does_not_equal": lambda: have != want,
           "contains": lambda: want in (have or ""), "is_empty": lambda: have in (None, "", []),
           "is_not_empty": lambda: have not in (None, "", [])}
    if op not in ops:
        raise invalid(f"fake Notion does not support filter operator {op}.")
    return ops[op]()
