"""The fixed vocabulary of CONTRACT.md: types, impacts and their tiers, statuses."""

from __future__ import annotations

from typing import NamedTuple

from .errors import invalid_choice

ERROR_TYPES = ("api_limit", "api_limit_warning", "integration_missing", "auth_failure", "system_error")


class Tier(NamedTuple):  # not a dataclass: `dataclasses` imports `inspect`, a share of `opsctl run`'s start-up
    impact: str
    name: str
    respond_within_seconds: int | None  # None: waits for the digest
    default_mention: str | None
    rank: int  # higher is worse


TIERS = {
    "blocking": Tier("blocking", "immediate", 5 * 60, "<!channel>", 3),
    "warning": Tier("warning", "same day", 4 * 3600, None, 2),
    "info": Tier("info", "not urgent", None, None, 1),
}
IMPACT_ALIASES = {
    "blocking": "blocking", "critical": "blocking", "p0": "blocking", "p1": "blocking",
    "warning": "warning", "non-blocking": "warning", "degraded": "warning", "p2": "warning",
    "info": "info", "minor": "info", "p3": "info",
}

ERROR_STATUSES = ("open", "escalated", "acknowledged", "resolved", "false_positive")
OPEN_STATUSES = ("open", "escalated", "acknowledged")
CLOSED_STATUSES = ("resolved", "false_positive")

REQUEST_STATUSES = ("pending", "approved", "rejected", "deferred", "integrated")
URGENCIES = ("low", "medium", "high", "critical")
IMPROVEMENT_CATEGORIES = (
    "automation", "monitoring", "documentation", "process", "reliability", "performance",
    "security", "cost", "tooling", "other",
)


def choose(what: str, value: str, valid) -> str:
    if value is None or not str(value).strip():
        raise invalid_choice(what, value, valid)
    normalized = value.strip().lower().replace(" ", "_")
    if normalized not in valid:
        raise invalid_choice(what, value, valid)
    return normalized


def error_type(value: str) -> str:
    return choose("error type", value, ERROR_TYPES)


def impact(value: str) -> str:
    key = (value or "").strip().lower()
    if key not in IMPACT_ALIASES:
        raise invalid_choice("impact", value, list(IMPACT_ALIASES))
    return IMPACT_ALIASES[key]


def tier(impact_name: str) -> Tier:
    return TIERS[impact_name]


def worse_impact(a: str, b: str) -> str:
    return a if TIERS[a].rank >= TIERS[b].rank else b
