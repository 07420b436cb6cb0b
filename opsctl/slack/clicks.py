"""One small handler per button: check the state, act through the library call the CLI uses, say what happened.

`handle(ctx, action_id, user=..., selected_date=...)` returns a `Click`: either `done` with the
line the message is updated with, or `stale`/`refused` with the line only the clicker sees.
Nothing here knows about bolt or websockets, so a Python caller (or a test) can click too.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..clock import now, to_iso
from ..errors import OpsctlError
from .actions import Action, parse


@dataclass
class Click:
    outcome: str  # done | stale | refused | invalid
    line: str
    subject: str | None = None


def handle(ctx, action_id: str, *, user: str, selected_date: str | None = None) -> Click:
    action = parse(action_id)
    if action is None:
        return Click("invalid", f"opsctl does not know the button {action_id!r}; answer with the opsctl CLI")
    try:
        if action.subject.startswith("req-"):
            return _request(ctx, action, user, selected_date)
        return _error(ctx, action, user)
    except OpsctlError as exc:  # the lifecycle said no: nothing changed
        return Click("stale", f"Nothing changed: {exc}", action.subject)


def _when(at: str | None) -> str:
    return (at or to_iso(now()))[:16].replace("T", " ") + " UTC"


def _who(actor: str | None) -> str:
    actor = actor or "someone"
    return f"<@{actor[len('slack:'):]}>" if actor.startswith("slack:") else f"`{actor}`"


def _last(history: list[dict], match) -> dict:
    return next((event for event in reversed(history) if match(event)), {})


def _error(ctx, action: Action, user: str) -> Click:
    from ..api.decisions import acknowledge, decide
    from ..api.errors import show_error, update_error

    error = show_error(action.subject, ctx=ctx)
    subject, history = error["id"], error.get("history") or []
    if error["status"] in ("resolved", "false_positive"):
        event = _last(history, lambda e: e.get("to_status") == error["status"])
        return Click("stale", f"{subject} was already {error['status']} by {_who(event.get('actor'))} "
                              f"at {_when(event.get('at'))}; nothing changed.", subject)
    if action.verb == "decide":
        if error["decision"] is not None:
            event = _last(history, lambda e: e["action"] == "decided")
            return Click("stale", f"{subject} was already decided by {_who(event.get('actor'))} at "
                                  f"{_when(event.get('at'))}: {_option(error, error['decision'])}; nothing changed.",
                         subject)
        result = decide(subject, action.arg, ctx=ctx)
        number = (error.get("options") or []).index(result["option"]) + 1
        return Click("done", f"Decided by <@{user}> at {_when(None)}: {_option(error, number)}", subject)
    if action.verb == "ack":
        if error["status"] == "acknowledged":
            event = _last(history, lambda e: e.get("to_status") == "acknowledged")
            return Click("stale", f"{subject} was already acknowledged by {_who(event.get('actor'))} at "
                                  f"{_when(event.get('at'))}; nothing changed.", subject)
        acknowledge(subject, note="acknowledged in Slack", ctx=ctx)
        return Click("done", f"Acknowledged by <@{user}> at {_when(None)}", subject)
    if action.verb == "resolve":
        update_error(subject, "resolved", note="resolved in Slack", ctx=ctx)
        return Click("done", f"Resolved by <@{user}> at {_when(None)}", subject)
    return Click("invalid", f"opsctl does not know the button {action.action_id!r}", subject)


def _option(error: dict, number: int) -> str:
    options = error.get("options") or []
    return f"option {number} ({options[number - 1]})" if 0 < number <= len(options) else f"option {number}"


def _request(ctx, action: Action, user: str, selected_date: str | None) -> Click:
    from ..api.requests import decide_request, show_request

    request = show_request(action.subject, ctx=ctx)
    subject = request["id"]
    if action.verb == "defer":
        verb, until = "defer", (selected_date if action.arg == "date" else action.arg)
        if not until:
            return Click("invalid", "Pick a date to defer until.", subject)
    elif action.verb == "request" and action.arg in ("approve", "reject"):
        verb, until = action.arg, None
    else:
        return Click("invalid", f"opsctl does not know the button {action.action_id!r}", subject)
    if request["status"] not in ("pending", "deferred"):
        return Click("stale", f"{subject} was already {request['status']} at {_when(request.get('decided_at'))}; "
                              "nothing changed.", subject)
    result = decide_request(subject, verb, until=until, note="decided in Slack", ctx=ctx)
    tail = f" until {result['until'][:10]}" if result.get("until") else ""
    return Click("done", f"{result['status'].capitalize()} by <@{user}> at {_when(None)}{tail}", subject)
