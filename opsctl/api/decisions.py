"""Decisions: `decide` an error's numbered option (or a request), `acknowledge`, and `wait_for` the answer.

Each decision or acknowledgement stops the escalation timer (the error becomes `acknowledged`)
and is announced (purpose "decision" / "update"), so Slack threads, Notion pages and the agent's
notify_user hook see it.
"""

from __future__ import annotations

import json
import re
import time

from ..clock import now, to_iso
from ..context import Context, ensure
from ..errors import InvalidInput, NotFound
from ..ids import format_id, parse_id
from ..ledger import errors_table, requests_table, transaction
from ..ledger.events import add_event
from ..lifecycle import check_error_transition
from ..vocab import CLOSED_STATUSES
from .inputs import text

WAIT_FOR = ("answer", "decision", "resolution")


def parse_subject(value) -> tuple[str, int]:
    """`error-12` / `12` -> ("error", 12); `req-7` -> ("request", 7)."""
    raw = str(value).strip()
    if re.match(r"(?i)req", raw):
        return "request", parse_id("request", raw)
    try:
        return "error", parse_id("error", raw)
    except InvalidInput:
        raise InvalidInput(f"invalid id {value!r}; expected error-N (or N) or req-N") from None


def decide(subject_id, choice, *, note: str | None = None, until: str | None = None,
           ctx: Context | None = None) -> dict:
    """Record the user's choice: an option number (or its text) for an error; approve/reject/defer for a request."""
    kind, number = parse_subject(subject_id)
    if kind == "request":
        from .requests import decide_request

        return dict(decide_request(number, str(choice), until=until, note=note, ctx=ctx), subject="request")
    if until is not None:
        raise InvalidInput("--until goes with deferring a request (req-N defer --until 7d)")
    return _decide_error(number, choice, note, ensure(ctx))


def _option(error_id: str, choice, options: list[str]) -> int:
    if not options:
        raise InvalidInput(f"{error_id} has no options to choose from; acknowledge it with `opsctl ack {error_id}`")
    raw = str(choice).strip()
    valid = ", ".join(f"{n} ({option})" for n, option in enumerate(options, 1))
    if raw.isdigit() and 1 <= int(raw) <= len(options):
        return int(raw)
    for n, option in enumerate(options, 1):
        if raw.lower() == option.lower():
            return n
    raise InvalidInput(f"invalid option {raw!r} for {error_id}; valid: {valid}")


def _decide_error(number: int, choice, note: str | None, ctx: Context) -> dict:
    from .. import lifecycle
    from .errors import _announce, _set_status

    error_id = format_id("error", number)
    note = text("note", note, required=False)
    at = to_iso(now())
    with transaction(ctx.conn):
        row = _error_row(ctx, number)
        if row["status"] in CLOSED_STATUSES:
            raise InvalidInput(f"{error_id} is {row['status']}; there is nothing left to decide "
                               f"(reopen it with update-error --status open)")
        options = json.loads(row["options"])
        option = _option(error_id, choice, options)
        errors_table.update(ctx.conn, number, {"decision": option, "decision_note": note, "updated_at": at})
        event_id = add_event(ctx.conn, "error", number, "decided", at=at, actor=ctx.actor, note=note,
                             data={"option": option, "choice": options[option - 1]})
        if row["status"] != "acknowledged":
            _set_status(ctx, row, "acknowledged", at, note=f"decided: option {option}")
        facts = {"Decision": f"{option}. {options[option - 1]}", **({"Note": note} if note else {})}
        plan = lifecycle.enqueue_error(ctx, number, event_id, "decision", facts=facts)
    recorded = errors_table.Recorded(errors_table.get(ctx.conn, number), event_id, False, False)
    result = _announce(ctx, recorded, purpose="decision", facts=facts, plan=plan)
    return dict(result, subject="error", option=options[option - 1])


def acknowledge(error_id, *, note: str | None = None, ctx: Context | None = None) -> dict:
    """"I'm on it": stops the escalation timer. Acknowledging twice changes nothing."""
    from .. import lifecycle
    from .errors import _announce, _result, _set_status

    number = parse_id("error", error_id)
    note = text("note", note, required=False)
    ctx = ensure(ctx)
    at = to_iso(now())
    with transaction(ctx.conn):
        row = _error_row(ctx, number)
        changed = row["status"] != "acknowledged"
        if changed:
            check_error_transition(format_id("error", number), row["status"], "acknowledged")
            event_id = _set_status(ctx, row, "acknowledged", at, note=note or "acknowledged")
            plan = lifecycle.enqueue_error(ctx, number, event_id, "update")
    recorded = errors_table.Recorded(errors_table.get(ctx.conn, number), event_id if changed else 0, False, False)
    if not changed:
        return dict(_result(recorded, deliveries=[]), changed=False)
    return dict(_announce(ctx, recorded, purpose="update", plan=plan), changed=True)


def _error_row(ctx: Context, number: int):
    """Inside the decision's transaction: the row, locked until it commits."""
    return errors_table.require(ctx.conn, number, for_update=True)


def _answer(kind: str, row, wait_for: str) -> str | None:
    """The outcome that ends a wait, or None to keep waiting."""
    if kind == "request":
        return None if row["status"] == "pending" else row["status"]
    if row["status"] in CLOSED_STATUSES:
        return row["status"]
    if wait_for == "resolution":
        return None
    if row["decision"] is not None:
        return "decided"
    if wait_for == "answer" and row["status"] == "acknowledged":
        return "acknowledged"
    return None


def wait_for(subject_id, *, timeout: float | None = 600.0, interval: float = 2.0, wait_for: str = "answer",
             sleep=time.sleep, clock=time.monotonic, ctx: Context | None = None) -> dict:
    """Block until the user answers (or the timeout passes). `sleep`/`clock` are injectable for tests.

    wait_for: "answer" (decided, acknowledged, resolved), "decision" (decided or resolved),
    "resolution" (resolved or false positive). For a request: any decision on it.
    """
    if wait_for not in WAIT_FOR:
        raise InvalidInput(f"invalid --for {wait_for!r}; valid: {', '.join(WAIT_FOR)}")
    if interval <= 0:
        raise InvalidInput("--interval must be longer than 0s")
    kind, number = parse_subject(subject_id)
    ctx = ensure(ctx)
    table = requests_table if kind == "request" else errors_table
    if sleep is time.sleep:  # PostgreSQL: wake on LISTEN/NOTIFY as soon as another host answers
        from ..ledger.notify import pauser

        sleep = pauser(ctx.conn, f"{kind}-{number}")
    started = clock()
    while True:
        row = table.get(ctx.conn, number)
        if row is None:
            raise NotFound(f"no {kind} {format_id(kind, number)} in the ledger")
        outcome = _answer(kind, row, wait_for)
        remaining = None if timeout is None else started + timeout - clock()
        if outcome is not None or (remaining is not None and remaining <= 0):
            break
        sleep(interval if remaining is None else min(interval, remaining))
    result = {"id": format_id(kind, number), "subject": kind, "outcome": outcome or "timed_out",
              "answered": outcome is not None, "status": row["status"],
              "waited_seconds": round(clock() - started, 3)}
    if kind == "error":
        options = json.loads(row["options"])
        decision = row["decision"]
        result.update(decision=decision, option=options[decision - 1] if decision and decision <= len(options) else None,
                      note=row["decision_note"], solution=row["solution"])
    else:
        result.update(decision=row["status"] if outcome else None, note=row["note"], until=row["until"])
    return result
