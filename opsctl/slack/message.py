"""What a clicked message becomes: the same blocks without live buttons, plus who did what and when."""

from __future__ import annotations


def settled(message: dict, line: str) -> tuple[str, list]:
    blocks = [b for b in (message.get("blocks") or []) if b.get("type") != "actions"]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line[:2000]}]})
    text = (message.get("text") or "").split("\n")[0]
    return (f"{text} — {line}" if text else line)[:3000], blocks[-50:]
