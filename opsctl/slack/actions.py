"""Buttons: the action ids a notification carries, and how a click's id is read back.

An action id is `opsctl:<verb>:<subject>[:<arg>]`, e.g. `opsctl:decide:error-12:2`,
`opsctl:ack:error-12`, `opsctl:resolve:error-12`, `opsctl:request:req-7:approve`,
`opsctl:defer:req-7:7d`. The button's value carries the same string, so either is enough.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..messages.model import Notification

PREFIX = "opsctl"
ELEMENTS_PER_BLOCK = 25  # Slack: at most 25 elements in one actions block
BUTTON_TEXT = 75
VALUE_TEXT = 2000
ACTION_ID = 255
LIVE_ERROR = ("open", "escalated", "acknowledged")
DEFERS = (("1 day", "1d"), ("1 week", "7d"), ("1 month", "30d"))


@dataclass(frozen=True)
class Action:
    verb: str  # decide | ack | resolve | request | defer
    subject: str  # error-12 | req-7
    arg: str | None = None

    @property
    def action_id(self) -> str:
        return ":".join(p for p in (PREFIX, self.verb, self.subject, self.arg) if p)


def parse(action_id: str) -> Action | None:
    parts = (action_id or "").split(":")
    if len(parts) < 3 or parts[0] != PREFIX:
        return None
    return Action(parts[1], parts[2], ":".join(parts[3:]) or None)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def button(label: str, action: Action, style: str | None = None) -> dict:
    element = {"type": "button", "text": {"type": "plain_text", "emoji": True, "text": _short(label, BUTTON_TEXT)},
               "action_id": action.action_id[:ACTION_ID], "value": action.action_id[:VALUE_TEXT]}
    if style:
        element["style"] = style
    return element


def elements(note: Notification) -> list[dict]:
    """The buttons for a notification, or [] when nothing is left to answer."""
    if note.id.startswith("req-"):
        if note.status not in (None, "pending", "deferred"):
            return []
        found = [button("Approve", Action("request", note.id, "approve"), "primary"),
                 button("Reject", Action("request", note.id, "reject"), "danger")]
        found += [button(f"Defer {label}", Action("defer", note.id, delay)) for label, delay in DEFERS]
        found.append({"type": "datepicker", "action_id": Action("defer", note.id, "date").action_id,
                      "placeholder": {"type": "plain_text", "text": "Defer until…"}})
        return found
    if not note.id.startswith("error-") or (note.status and note.status not in LIVE_ERROR) \
            or "Decision" in note.facts:
        return []
    found = [button(f"{n}. {option}", Action("decide", note.id, str(n))) for n, option in enumerate(note.options, 1)]
    if note.status != "acknowledged":
        found.append(button("Acknowledge", Action("ack", note.id)))
    found.append(button("Resolve", Action("resolve", note.id), "primary"))
    return found


def blocks(note: Notification) -> list[dict]:
    """Actions blocks of at most 25 elements each (block ids name the subject, for the listener)."""
    found = elements(note)
    return [{"type": "actions", "block_id": f"opsctl-{note.id}-{i // ELEMENTS_PER_BLOCK}",
             "elements": found[i:i + ELEMENTS_PER_BLOCK]} for i in range(0, len(found), ELEMENTS_PER_BLOCK)]
