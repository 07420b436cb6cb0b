"""Which channels get a notification, with which mention, and whether it waits for quiet hours.

With no configuration every configured channel gets every notification, and Slack mentions
`<!channel>` for blocking errors. opsctl.yaml can narrow that down:

    channels:
      slack:
        impacts: [blocking, warning]          # also: types, services, projects, subjects, purposes
        mention: {blocking: "<!channel>", warning: "<!here>", escalation: "<!channel>"}
      sms: {type: webhook, url_env: SMS_RELAY_URL, purposes: [escalation]}
    routing:
      rules:                                  # the first rule that matches picks the channels
        - when: {type: auth_failure}
          channels: [slack, sms]
        - when: {impact: info}
          channels: [notion]
      quiet:                                  # non-urgent notices wait until the window ends
        hours: "22:00-07:00"
        timezone: Europe/London
        impacts: [warning, info]              # default; blocking is never held back

A delivery failure of channel X raises a system_error about "opsctl channel: X"; that error is
never routed to X itself, so a dead channel cannot feed on its own alarms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from .errors import ConfigInvalid

FILTERS = {"impacts": "impact", "types": "type", "services": "service", "projects": "project",
           "subjects": "subject", "purposes": "purpose"}
MENTIONED = ("notify", "escalation", "reminder")
DEFAULT_MENTIONS = {"blocking": "<!channel>", "escalation": "<!channel>"}
CHANNEL_SERVICE = "opsctl channel: "


@dataclass
class Route:
    channel: object  # a Channel
    mention: str | None = None
    defer_until: datetime | None = None


def channel_service(name: str) -> str:
    """The service name of the system_error raised when channel `name` keeps failing."""
    return CHANNEL_SERVICE + name


def facts(notification, subject: str, purpose: str) -> dict:
    return {"impact": notification.impact, "type": notification.type, "service": notification.service,
            "project": notification.project, "subject": subject, "purpose": purpose}


def route(config: dict, channels: list, notification, *, subject: str, purpose: str, at: datetime,
          only: list[str] | None = None) -> list[Route]:
    seen = facts(notification, subject, purpose)
    chosen = [c for c in channels if c.accepts(subject, purpose) and _passes(c.options, seen)]
    routing = (config or {}).get("routing") or {}
    if not isinstance(routing, dict):
        raise ConfigInvalid("opsctl.yaml: `routing:` must be a mapping (rules, quiet)")
    for rule in routing.get("rules") or []:
        if _matches(rule.get("when") or {}, seen):
            names = set(_as_list(rule.get("channels")))
            chosen = [c for c in chosen if c.channel in names]
            break
    if only is not None:
        chosen = [c for c in chosen if c.channel in only]
    if notification.type == "system_error" and (notification.service or "").startswith(CHANNEL_SERVICE):
        broken = notification.service[len(CHANNEL_SERVICE):]
        chosen = [c for c in chosen if c.channel != broken]
    quiet_end = _quiet_until(routing.get("quiet"), notification, purpose, at)
    routes = []
    for channel in chosen:
        held = quiet_end if quiet_end and channel.channel in _quiet_channels(routing["quiet"], chosen) else None
        said = mention(channel, notification.impact, purpose)
        if channel.name == "slack" and getattr(notification, "mention", None):  # people / an alert rule's mention
            said = " ".join(m for m in (said, notification.mention) if m)
        routes.append(Route(channel, said, held))
    return routes


def mention(channel, impact: str | None, purpose: str) -> str | None:
    """Slack mentions by tier (`<!channel>` for blocking) unless the channel's `mention:` says otherwise."""
    if purpose not in MENTIONED:
        return None
    defaults = DEFAULT_MENTIONS if channel.name == "slack" else {}
    rules = dict(defaults, **(channel.options.get("mention") or {}))
    if purpose == "escalation":
        return rules.get("escalation") or rules.get(impact) or None
    return rules.get(impact) or None


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def _norm(value) -> str:
    return " ".join(str(value).lower().split())


def _passes(options: dict, seen: dict) -> bool:
    for key, fact in FILTERS.items():
        if key in options and seen[fact] is not None and _norm(seen[fact]) not in {_norm(v) for v in _as_list(options[key])}:
            return False
    return True


def _matches(when: dict, seen: dict) -> bool:
    if not isinstance(when, dict):
        raise ConfigInvalid("opsctl.yaml: each routing rule needs `when:` as a mapping")
    for key, wanted in when.items():
        fact = FILTERS.get(key, key)
        if fact not in seen:
            raise ConfigInvalid(f"opsctl.yaml: routing rule on unknown field {key!r}; "
                                     f"valid: {', '.join(sorted(set(FILTERS.values())))}")
        if seen[fact] is None or _norm(seen[fact]) not in {_norm(v) for v in _as_list(wanted)}:
            return False
    return True


def check_config(config: dict) -> None:
    """Validate `routing:` as a whole (rules and quiet hours); ConfigInvalid naming the key."""
    routing = (config or {}).get("routing") or {}
    if not isinstance(routing, dict):
        raise ConfigInvalid("opsctl.yaml: `routing:` must be a mapping (rules, quiet)")
    rules = routing.get("rules") or []
    if not isinstance(rules, list):
        raise ConfigInvalid("opsctl.yaml: routing.rules must be a list of {when, channels}")
    every = {fact: None for fact in set(FILTERS.values())}
    for rule in rules:
        if not isinstance(rule, dict):
            raise ConfigInvalid("opsctl.yaml: each routing rule is a mapping with when: and channels:")
        _matches(rule.get("when") or {}, every)
    quiet = routing.get("quiet")
    if quiet:
        from datetime import timezone

        from .messages.model import Notification

        probe = Notification(id="check", kind="error", title="", impact="info")
        if isinstance(quiet, dict):
            quiet = dict(quiet, impacts=["info"])
        _quiet_until(quiet, probe, "notify", datetime.now(timezone.utc))


def _quiet_channels(quiet: dict, chosen: list) -> set[str]:
    names = _as_list(quiet.get("channels"))
    return set(names) if names else {c.channel for c in chosen}


def _quiet_until(quiet, notification, purpose: str, at: datetime) -> datetime | None:
    """The end of the current quiet window, when this notice should wait for it."""
    if not quiet:
        return None
    if not isinstance(quiet, dict) or "hours" not in quiet:
        raise ConfigInvalid('opsctl.yaml: routing.quiet needs hours: "22:00-07:00" (and optionally timezone)')
    impacts = _as_list(quiet.get("impacts")) or ["warning", "info"]
    if notification.impact not in impacts or purpose in ("update", "test"):
        return None
    start, end = _window(str(quiet["hours"]))
    local = at.astimezone(_zone(quiet.get("timezone")))
    now_t = local.time()
    inside = (start <= now_t < end) if start < end else (now_t >= start or now_t < end)
    if not inside:
        return None
    end_at = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if end_at <= local:
        end_at += timedelta(days=1)
    return end_at


@lru_cache(maxsize=16)
def _window(hours: str):
    """"22:00-07:00" as (start, end) times; parsed once, not once per notice."""
    try:
        start_text, end_text = hours.split("-")
        return tuple(datetime.strptime(t.strip(), "%H:%M").time() for t in (start_text, end_text))
    except ValueError:
        raise ConfigInvalid(f'opsctl.yaml: routing.quiet.hours {hours!r} should look like "22:00-07:00"') from None


def _zone(name):
    if not name:
        from datetime import timezone

        return timezone.utc
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(str(name))
    except Exception:  # noqa: BLE001 - ZoneInfoNotFoundError, ValueError
        raise ConfigInvalid(f"opsctl.yaml: routing.quiet.timezone {name!r} is not a known time zone") from None
