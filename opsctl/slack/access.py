"""Who may click or command: `slack.allowed_users` and members of `slack.allowed_groups`."""

from __future__ import annotations

import threading
import time

from .config import SlackConfig

GROUP_CACHE_SECONDS = 60.0


class Gate:
    """Checks a Slack user against the config; group members are fetched through the bot and kept briefly."""

    def __init__(self, config: SlackConfig, members_of=None, *, clock=time.monotonic):
        self.config = config
        self._members_of = members_of  # usergroup id -> list of user ids (usergroups.users.list)
        self._clock = clock
        self._cache: dict[str, tuple[float, frozenset]] = {}
        self._lock = threading.Lock()

    def allows(self, user: str) -> bool:
        if not self.config.restricted or user in self.config.allowed_users:
            return True
        return any(user in self._members(group) for group in self.config.allowed_groups)

    def _members(self, group: str) -> frozenset:
        with self._lock:
            cached = self._cache.get(group)
            if cached and self._clock() - cached[0] < GROUP_CACHE_SECONDS:
                return cached[1]
        try:
            members = frozenset(self._members_of(group) if self._members_of else ())
        except Exception:  # Slack unreachable or scope missing: nobody gets in through this group
            members = frozenset()
        with self._lock:
            self._cache[group] = (self._clock(), members)
        return members


REFUSAL = "You are not allowed to answer opsctl here; ask an admin to add you to `slack.allowed_users` in opsctl.yaml."
