"""Short, typeable ids: error-123, req-7, imp-4 (bare numbers accepted)."""

from __future__ import annotations

import re

from .errors import InvalidInput, clip

MAX_INT = 2**63 - 1  # the largest integer the ledger stores

PREFIX = {"error": "error", "request": "req", "improvement": "imp", "silence": "sil"}


def format_id(kind: str, number: int) -> str:
    return f"{PREFIX[kind]}-{number}"


def parse_id(kind: str, text) -> int:
    prefix = PREFIX[kind]
    match = re.fullmatch(rf"(?:{prefix}-?|#)?(\d+)", str(text).strip(), flags=re.IGNORECASE)
    if not match:
        raise InvalidInput(f"invalid {kind} id {clip(text)}; expected {prefix}-N or N, e.g. {prefix}-12")
    number = int(match.group(1))
    if number > MAX_INT:
        raise InvalidInput(f"invalid {kind} id {clip(text)}: too large (ids go up to {MAX_INT})")
    return number
