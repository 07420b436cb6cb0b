"""A delivery that is dead raises its own system_error, so no failure is silent.

The error is about "opsctl channel: <name>"; routing never sends it to that channel, and while
it is open further failures only count occurrences (the ledger de-duplicates), so a broken
channel yields one alarm, not a storm and not a loop.
"""

from __future__ import annotations

import sys
import threading

from ..routing import channel_service

_depth = threading.local()


def report(ctx, dead: list) -> None:
    """`dead`: (job, error message) pairs for deliveries that just became dead."""
    from ..api.errors import notify_error, track_error
    from ..errors import OpsctlError

    depth = getattr(_depth, "value", 0)
    by_channel: dict[str, list] = {}
    for job, error in dead:
        by_channel.setdefault(job.channel.channel, []).append((job, error))
    _depth.value = depth + 1
    try:
        for name, items in by_channel.items():
            job, error = items[-1]
            what = f"{job.out.notification.id} ({job.out.purpose})" if job.out.subject_id is not None else job.out.purpose
            details = (f"{len(items)} deliver{'y' if len(items) == 1 else 'ies'} to {name} gave up, "
                       f"last for {what}: {error}")
            options = [f"Fix {name} as the message says, then run `opsctl outbox retry --dead`",
                       f"Turn {name} off in opsctl.yaml (channels: {{{name}: {{enabled: false}}}})"]
            try:
                if depth == 0:  # a failure while reporting a failure is recorded, not announced again
                    notify_error("system_error", channel_service(name), details, "warning", options,
                                 recommendation="Option 1", source="outbox", ctx=ctx)
                else:
                    track_error("system_error", channel_service(name), impact="warning", details=details,
                                source="outbox", ctx=ctx)
            except OpsctlError as exc:
                print(f"opsctl: could not record the failure of {name}: {exc.message}", file=sys.stderr)
    finally:
        _depth.value = depth
