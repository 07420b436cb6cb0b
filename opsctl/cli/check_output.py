"""Shared by the check commands (jobs check, quota, probe): show what they raised."""

from __future__ import annotations


def show_raised(errors: list[dict]) -> None:
    """The notification of each newly raised error nobody was sent (no channel configured), on stderr;
    CONTRACT.md: with no channel, opsctl shows the notification in the terminal."""
    from .output import show_notification

    for error in errors:
        if error and not error.get("deduplicated") and not error.get("deliveries") and error.get("message"):
            show_notification({"message": error["message"], "impact": error.get("impact")})
