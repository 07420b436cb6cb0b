"""Getting notifications to people: channels, the outbox, retries.

The interface the rest of opsctl uses:

- `announce(ctx, notification, subject=, subject_id=, event_id=, purpose=)` — called right after
  the ledger write (the commit point). Queues one outbox row per routed channel and tries them.
  Returns one `{channel, status}` per channel (status: sent, queued, failed, skipped; failed and
  queued ones also carry `error`); with no channel configured the list is empty and the CLI shows
  the message in the terminal. purpose: "notify" (first notice), "update" (status change),
  "escalation", "reminder", "decision", "digest", "test". `channels=[names]` narrows the routing
  (e.g. escalation-only channels). The same (event_id, channel) is never queued twice.
- `drain(ctx, limit=None)` — send what is due in the outbox (`opsctl deliver`, `opsctl tick`);
  returns {"sent", "queued", "failed", "dead", "deliveries": [...]}.

Modules: `fanout` (announce), `flush` (drain), routing (`opsctl.routing`), the rows (`outbox`), concurrency (`sender`), retries
(`retry`), the rules (`policy`), what a dead delivery raises (`deadletter`).
"""

from __future__ import annotations


def announce(ctx, notification, *, subject: str, subject_id: int | None, event_id: int | None, purpose: str,
             channels: list[str] | None = None) -> list[dict]:
    from .fanout import announce as run

    return run(ctx, notification, subject=subject, subject_id=subject_id, event_id=event_id, purpose=purpose,
               channels=channels)


def drain(ctx, *, limit: int | None = None) -> dict:
    from .flush import drain as run

    return run(ctx, limit=limit)
