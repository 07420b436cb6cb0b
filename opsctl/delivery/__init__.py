"""Getting notifications to people: channels, the outbox, retries."""

from __future__ import annotations


def announce(ctx, notification, *, subject: str, subject_id: int, event_id: int, purpose: str) -> list[dict]:
    """Queue and send `notification` on every channel routed for it.

    Returns one `{channel, status}` per channel. With no channel configured the
    list is empty and the caller shows the message in the terminal.
    """
    return []
