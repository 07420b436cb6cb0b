"""Which status changes are allowed, in one place."""

from __future__ import annotations

from .errors import InvalidInput
from .vocab import ERROR_STATUSES, REQUEST_STATUSES

ERROR_TRANSITIONS = {
    "open": {"escalated", "acknowledged", "resolved", "false_positive"},
    "escalated": {"acknowledged", "resolved", "false_positive"},
    "acknowledged": {"escalated", "resolved", "false_positive"},
    # reopening is explicit and counts as a regression
    "resolved": {"open"},
    "false_positive": {"open"},
}

REQUEST_TRANSITIONS = {
    "pending": {"approved", "rejected", "deferred"},
    "deferred": {"pending", "approved", "rejected"},
    "approved": {"integrated", "rejected", "deferred"},
    "rejected": {"pending"},
    "integrated": set(),
}


def check_error_transition(error_id: str, current: str, target: str) -> None:
    if target not in ERROR_STATUSES:
        raise InvalidInput(f"invalid status {target!r}; valid: {', '.join(ERROR_STATUSES)}")
    if target == current:
        return
    allowed = ERROR_TRANSITIONS[current]
    if target not in allowed:
        hint = " (reopen it with --status open first)" if current in ("resolved", "false_positive") else ""
        raise InvalidInput(
            f"{error_id} is {current}; it can move to {', '.join(sorted(allowed)) or 'nothing'}, not {target}{hint}"
        )


def check_request_transition(request_id: str, current: str, target: str) -> None:
    if target not in REQUEST_STATUSES:
        raise InvalidInput(f"invalid request status {target!r}; valid: {', '.join(REQUEST_STATUSES)}")
    allowed = REQUEST_TRANSITIONS[current]
    if target != current and target not in allowed:
        raise InvalidInput(
            f"{request_id} is {current}; it can move to {', '.join(sorted(allowed)) or 'nothing'}, not {target}"
        )
