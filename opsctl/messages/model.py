"""The notification, built once from a ledger record."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cache

from ..vocab import TIERS

TYPE_TITLES = {
    "api_limit": "API limit reached",
    "api_limit_warning": "API limit approaching",
    "integration_missing": "Integration missing",
    "auth_failure": "Authentication failure",
    "system_error": "System error",
}


@dataclass
class Notification:
    id: str
    kind: str  # "error" | "request" | "reminder" | "escalation" | "update" | "test" | "digest"
    title: str
    type: str | None = None
    service: str | None = None
    project: str | None = None
    impact: str | None = None
    tier: str | None = None
    respond_within: str | None = None
    status: str | None = None
    details: str = ""
    options: list[str] = field(default_factory=list)
    recommendation: str | None = None
    occurrences: int = 1
    facts: dict[str, str] = field(default_factory=dict)  # extra label -> value lines
    answer_hint: str | None = None
    # who this notice is for (escalation chains, alert rules): {"email": [...], "sms": [...], "slack": [...]},
    # an explicit Slack mention and Slack channel; empty: the channels' own settings decide
    recipients: dict[str, list[str]] = field(default_factory=dict)
    mention: str | None = None
    slack_channel: str | None = None
    priority: str | None = None  # P0-P3 when known

    def payload(self) -> dict:
        """The notify_user / webhook JSON: the fields plus the markdown a person reads."""
        from .markdown import render_markdown

        # the fields are strings, numbers and flat containers of strings: copying those is enough
        # (dataclasses.asdict deep-copies every value, the largest cost of queuing 10k notices)
        data = {name: getattr(self, name) for name in _field_names()}
        data.update(options=list(self.options), facts=dict(self.facts),
                    recipients={k: list(v) for k, v in self.recipients.items()})
        data["message"] = render_markdown(self)
        return data

    @classmethod
    def from_payload(cls, payload: dict) -> "Notification":
        """Rebuild the notification from its payload (as an outbox row stores it)."""
        names = _field_names()
        return cls(**{k: v for k, v in payload.items() if k in names})


@cache
def _field_names() -> dict[str, None]:
    """The field names in order (a dict: ordered, and quick to test membership)."""
    return dict.fromkeys(f.name for f in fields(Notification))


def from_error(error: dict, kind: str = "error") -> Notification:
    tier = TIERS[error["impact"]]
    within = {"blocking": "within 5 minutes", "warning": "within 4 hours", "info": "next digest"}[error["impact"]]
    return Notification(
        id=error["id"],
        kind=kind,
        title=f"{TYPE_TITLES.get(error['type'], error['type'])}: {error['service']}",
        type=error["type"],
        service=error["service"],
        project=error.get("project"),
        impact=error["impact"],
        tier=tier.name,
        respond_within=within,
        status=error["status"],
        details=error.get("details") or "",
        options=list(error.get("options") or []),
        recommendation=error.get("recommendation"),
        occurrences=error.get("occurrences", 1),
        answer_hint=f"opsctl decide {error['id']} N" if error.get("options") else f"opsctl ack {error['id']}",
    )


def from_request(request: dict) -> Notification:
    return Notification(
        id=request["id"],
        kind="request",
        title=f"Integration request: {request['tool']}",
        service=request["tool"],
        impact={"critical": "blocking", "high": "warning"}.get(request["urgency"], "info"),
        status=request["status"],
        details=request["purpose"],
        options=["Approve", "Reject", "Defer"],
        facts={k: v for k, v in (("Urgency", request["urgency"]), ("Current workaround", request.get("alternatives")),
                                 ("Cost", request.get("cost"))) if v},
        answer_hint=f"opsctl requests decide {request['id']} approve|reject|defer",
    )


def from_improvement(improvement: dict) -> Notification:
    return Notification(
        id=improvement["id"],
        kind="improvement",
        title=f"Improvement: {improvement['operation']}",
        details=improvement["improvement"],
        facts={k: v for k, v in (("Department", improvement.get("department")),
                                 ("Category", improvement.get("category")),
                                 ("Impact", improvement.get("impact"))) if v},
    )
