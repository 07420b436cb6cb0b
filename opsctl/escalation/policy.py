"""The `escalation:` section of opsctl.yaml, read into plain values with the tier defaults.

    escalation:
      blocking: {after: 5m, repeat: [15m, 30m, 1h], max: null}  # null: until acknowledged
      warning:  {after: 4h, max: 1}                           # one reminder
      info:     {}                                            # waits for the digest
      flapping: {reopens: 3, window: 24h}
      catch_up_after: 2m

Only `opsctl tick` and status changes into `escalated` read it, so the YAML parser is
imported only when a timer is being set or is due.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import OperationalFailure
from ..vocab import TIERS

# blocking repeats until acknowledged; warning gets one reminder; info waits for the digest
DEFAULT_REPEAT = {"blocking": (900.0, 1800.0, 3600.0), "warning": (4 * 3600.0,), "info": ()}
DEFAULT_MAX = {"blocking": None, "warning": 1, "info": 0}
# `channels` narrows where this tier's escalations/reminders go (announce's `channels=`); mentions and
# escalation-only channels themselves are configured per channel (`channels.<name>.mention.escalation`,
# `purposes: [escalation]`, see opsctl/routing.py)
TIER_KEYS = {"after", "repeat", "max", "channels", "chain"}  # chain: see opsctl/escalation/chains.py


@dataclass(frozen=True)
class TierPolicy:
    impact: str
    after: float | None  # seconds after the notice; None: no timer
    repeat: tuple[float, ...]  # gaps between further notices; the last one repeats
    max: int | None  # notices at most; None: until acknowledged
    channels: tuple[str, ...] | None = None  # only these channels get the notices; None: routing decides

    @property
    def kind(self) -> str:
        """What a notice of this tier is called: blocking escalates, the others remind."""
        return "escalation" if self.impact == "blocking" else "reminder"

    def allows(self, sent: int) -> bool:
        return self.after is not None and (self.max is None or sent < self.max)

    def gap(self, sent: int) -> float | None:
        """Seconds from notice number `sent` (1-based) to the next one; None when done."""
        if not self.allows(sent) or not self.repeat:
            return None
        return self.repeat[min(sent - 1, len(self.repeat) - 1)]


@dataclass(frozen=True)
class Policy:
    tiers: dict
    flapping_reopens: int
    flapping_window: float
    catch_up_after: float

    def tier(self, impact: str) -> TierPolicy:
        return self.tiers[impact]


def _seconds(value, where: str) -> float:
    from ..durations import parse_duration
    from ..errors import InvalidInput

    if isinstance(value, bool):
        raise OperationalFailure(f"opsctl.yaml: {where}: expected a duration like 5m, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return parse_duration(str(value), where)
    except InvalidInput as exc:
        raise OperationalFailure(f"opsctl.yaml: {exc.message}") from None


def _count(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise OperationalFailure(f"opsctl.yaml: {where}: expected a whole number ≥ 0, got {value!r}")
    return value


def _tier(impact: str, raw) -> TierPolicy:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise OperationalFailure(f"opsctl.yaml: escalation.{impact}: expected a mapping (after, repeat, max)")
    unknown = sorted(set(raw) - TIER_KEYS)
    if unknown:
        raise OperationalFailure(f"opsctl.yaml: escalation.{impact}: unknown key(s) {', '.join(unknown)}; "
                                 f"valid: {', '.join(sorted(TIER_KEYS))}")
    after = TIERS[impact].respond_within_seconds
    after = _seconds(raw["after"], f"escalation.{impact}.after") if raw.get("after") is not None else after
    repeat = raw.get("repeat", DEFAULT_REPEAT[impact])
    if not isinstance(repeat, (list, tuple)):
        repeat = [repeat]
    repeat = tuple(_seconds(gap, f"escalation.{impact}.repeat") for gap in repeat)
    if any(gap <= 0 for gap in repeat):
        raise OperationalFailure(f"opsctl.yaml: escalation.{impact}.repeat: gaps must be longer than 0s")
    limit = DEFAULT_MAX[impact] if raw.get("after") is None else DEFAULT_MAX[impact] or 1
    if "max" in raw:
        # null: until acknowledged; 0: never
        limit = None if raw["max"] is None else _count(raw["max"], f"escalation.{impact}.max")
    channels = raw.get("channels")
    if channels is not None:
        channels = tuple(str(c) for c in (channels if isinstance(channels, list) else [channels]))
    if raw.get("chain") is not None:  # an escalation chain replaces the after/repeat timers
        after = None
    return TierPolicy(impact, after, repeat, limit, channels)


def from_config(config: dict) -> Policy:
    section = config.get("escalation") or {}
    if not isinstance(section, dict):
        raise OperationalFailure("opsctl.yaml: escalation: expected a mapping with blocking, warning, info, flapping")
    unknown = sorted(set(section) - {"blocking", "warning", "info", "flapping", "catch_up_after"})
    if unknown:
        raise OperationalFailure(f"opsctl.yaml: escalation: unknown key(s) {', '.join(unknown)}; "
                                 "valid: blocking, warning, info, flapping, catch_up_after")
    flapping = section.get("flapping") or {}
    reopens = _count(flapping.get("reopens", 3), "escalation.flapping.reopens")  # 0: never flapping
    return Policy(
        tiers={impact: _tier(impact, section.get(impact)) for impact in TIERS},
        flapping_reopens=reopens,
        flapping_window=_seconds(flapping.get("window", "24h"), "escalation.flapping.window"),
        catch_up_after=_seconds(section.get("catch_up_after", "2m"), "escalation.catch_up_after"),
    )


def load(ctx) -> Policy:
    return from_config(ctx.config)
