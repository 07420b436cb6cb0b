"""Is a scheduled job late? Compare its cron schedule with its last success."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from croniter import CroniterError, croniter

from opsctl.errors import InvalidInput


@dataclass(frozen=True)
class Lateness:
    late: bool
    due: datetime  # latest scheduled time whose grace has run out by `now`
    deadline: datetime  # due + grace
    next_expected: datetime  # next scheduled time after `now`
    last_success: datetime | None
    overdue_seconds: float  # now - deadline when late, else 0


def check_cron(expression: str) -> str:
    try:
        croniter(expression)
    except (CroniterError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"invalid cron expression {expression!r}: {exc}") from None
    return expression


def lateness(
    expression: str,
    last_success: datetime | None,
    now: datetime,
    grace: timedelta | float = 0,
    tz: str = "UTC",
    since: datetime | None = None,
) -> Lateness:
    """Late when no success since the latest scheduled time whose grace has passed.

    Looking back from `now - grace` (not from `now`) means a run missed two slots
    ago is still reported while the newest slot is within its grace. The cron
    expression is read in `tz`; all results are UTC. `last_success` is best the
    finish time of the last successful run; None counts as late — unless the job was first seen
    (`since`) after that scheduled time: a job added today is late only after its first slot + grace.
    """
    check_cron(expression)
    if not isinstance(grace, timedelta):
        grace = timedelta(seconds=grace)
    local = now.astimezone(ZoneInfo(tz))
    due = croniter(expression, local - grace).get_prev(datetime).astimezone(timezone.utc)
    next_expected = croniter(expression, local).get_next(datetime).astimezone(timezone.utc)
    deadline = due + grace
    new = last_success is None and since is not None and due < since  # no slot since it appeared
    late = (last_success is None or last_success < due) and not new
    overdue = (now - deadline).total_seconds() if late else 0.0
    return Lateness(late, due, deadline, next_expected, last_success, overdue)
