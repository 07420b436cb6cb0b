"""Validating and cleaning what callers pass in, before anything is written."""

from __future__ import annotations

from ..errors import InvalidInput
from ..scrub import scrub

MAX_FIELD = 1_000_000 * 4  # generous: 1 MB of details must round-trip


def text(name: str, value, *, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"missing {name}; pass --{name.replace('_', '-')} TEXT")
        return None
    cleaned = scrub(str(value))
    if len(cleaned) > MAX_FIELD:
        raise InvalidInput(f"{name} is {len(cleaned)} characters; the limit is {MAX_FIELD}")
    return cleaned


def text_list(name: str, values) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [scrub(str(v)) for v in values if str(v).strip()]
