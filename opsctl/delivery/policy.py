"""How hard opsctl tries: the `outbox:` section of opsctl.yaml, with defaults that need no config.

    outbox:
      timeout: 5          # seconds per HTTP request / hook run
      budget: 10          # seconds a command may spend delivering before it queues the rest
      tries: 3            # attempts within that budget (429/5xx/network only)
      max_attempts: 8     # outbox attempts before a delivery is dead
      backoff: 60         # first outbox retry after this many seconds, doubling (with jitter)
      max_backoff: 3600
      concurrency: 8      # deliveries sent at once by `opsctl deliver`
      payload_retention_days: 30   # then a sent delivery's payload is replaced by a stub (0: keep forever)
      (`opportunistic:` is still accepted and ignored: other commands no longer send on their way out)
"""

from __future__ import annotations

import random
from dataclasses import dataclass, fields

from ..errors import OperationalFailure


@dataclass(frozen=True)
class Policy:
    timeout: float = 5.0
    budget: float = 10.0
    tries: int = 3
    max_attempts: int = 8
    backoff: float = 60.0
    max_backoff: float = 3600.0
    concurrency: int = 8
    payload_retention_days: float = 30.0
    opportunistic: int = 0  # accepted for old configs, ignored

    @property
    def lease(self) -> float:
        """How long a claim holds: the budget plus a margin; after that another process may take over."""
        return self.budget + self.timeout + 20.0

    def next_delay(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds until the next outbox attempt: doubling from `backoff`, ±20% jitter, Retry-After wins.

        Never more than `max_backoff` (1 h by default), whatever a server asks for.
        """
        delay = self.backoff * (2 ** min(max(0, attempts - 1), 40))
        delay = min(self.max_backoff, delay) * random.uniform(0.8, 1.2)
        return min(self.max_backoff, max(delay, retry_after or 0.0))


def policy(ctx) -> Policy:
    section = (ctx.config or {}).get("outbox") or {}
    if not isinstance(section, dict):
        raise OperationalFailure("opsctl.yaml: `outbox:` must be a mapping (timeout, budget, max_attempts, ...)")
    known = {f.name: f.type for f in fields(Policy)}
    unknown = sorted(set(section) - set(known))
    if unknown:
        raise OperationalFailure(f"opsctl.yaml: unknown outbox setting(s) {', '.join(unknown)}; "
                                 f"valid: {', '.join(known)}")
    values = {}
    for name, value in section.items():
        cast = int if known[name] == "int" else float
        try:
            values[name] = cast(value)
        except (TypeError, ValueError):
            raise OperationalFailure(f"opsctl.yaml: outbox.{name} must be a number, not {value!r}") from None
        if values[name] != values[name] or values[name] in (float("inf"), float("-inf")) or values[name] < 0 or (name in ("max_attempts", "tries", "concurrency") and values[name] < 1):
            raise OperationalFailure(f"opsctl.yaml: outbox.{name} is out of range ({value!r})")
    return Policy(**values)
