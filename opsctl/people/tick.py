"""What `opsctl tick` does for issue 12, in one call: chain steps, end-of-silence summaries, SMS status."""

from __future__ import annotations

from datetime import datetime


def run(ctx, at: datetime, *, dry_run: bool = False) -> dict:
    from ..escalation import chains
    from . import sms_status
    from .. import silences

    return {"chains": chains.run(ctx, at, dry_run=dry_run),
            "silences_ended": silences.summarize_ended(ctx, at, dry_run=dry_run),
            "sms": [] if dry_run else sms_status.poll_sms_status(ctx)}
