"""`people:` in opsctl.yaml, and the escalation chains that name them, checked when the config loads.

    people:
      oncall: {email: oncall@example.com, phone: "+15550100", slack: U0ONCALL}
      cto:    {email: cto@example.com, phone: "+15550199"}
    escalation:
      blocking:
        chain:
          - {after: 0m, notify: [oncall]}
          - {after: 15m, notify: [cto, slack]}   # people, or channel names

A wrong shape or an unknown name fails the load with the valid names (exit 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ConfigInvalid

PERSON_KEYS = ("email", "phone", "slack")
STEP_KEYS = ("after", "notify")
IMPACTS = ("blocking", "warning", "info")
_PHONE = re.compile(r"\+[1-9]\d{6,14}")
_SLACK_ID = re.compile(r"[UW][A-Z0-9]{2,}")


@dataclass(frozen=True)
class Person:
    name: str
    email: str | None = None
    phone: str | None = None
    slack: str | None = None


@dataclass(frozen=True)
class Step:
    after: float  # seconds after the first notice
    notify: tuple[str, ...]  # people and/or channel names


def people(config: dict, where: str = "opsctl.yaml") -> dict[str, Person]:
    raw = (config or {}).get("people") or {}
    if not isinstance(raw, dict):
        raise ConfigInvalid(f"{where}: people: expected a mapping of names to {{email, phone, slack}}")
    found = {}
    for name, contacts in raw.items():
        label = f"{where}: people.{name}"
        if not isinstance(contacts, dict):
            raise ConfigInvalid(f"{label}: expected a mapping with {', '.join(PERSON_KEYS)}")
        if unknown := sorted(set(contacts) - set(PERSON_KEYS)):
            raise ConfigInvalid(f"{label}: unknown key(s) {', '.join(unknown)}; valid: {', '.join(PERSON_KEYS)}")
        values = {k: str(v).strip() for k, v in contacts.items() if v not in (None, "")}
        if not values:
            raise ConfigInvalid(f"{label}: give at least one of {', '.join(PERSON_KEYS)}")
        if "email" in values and "@" not in values["email"]:
            raise ConfigInvalid(f"{label}.email: {values['email']!r} is not an email address")
        if "phone" in values and not _PHONE.fullmatch(values["phone"].replace(" ", "")):
            raise ConfigInvalid(f"{label}.phone: {values['phone']!r}: use the international form, e.g. \"+15550100\"")
        if "phone" in values:
            values["phone"] = values["phone"].replace(" ", "")
        if "slack" in values and not _SLACK_ID.fullmatch(values["slack"].lstrip("<@").rstrip(">")):
            raise ConfigInvalid(f"{label}.slack: {values['slack']!r}: use the member id, e.g. U0ONCALL "
                                     "(Slack: profile → ⋮ → Copy member ID)")
        if "slack" in values:
            values["slack"] = values["slack"].lstrip("<@").rstrip(">")
        found[str(name)] = Person(str(name), **values)
    return found


def chains(config: dict, where: str = "opsctl.yaml") -> dict[str, tuple[Step, ...]]:
    """impact -> its chain's steps, in order; only impacts that have one."""
    from ..durations import parse_duration
    from ..errors import InvalidInput

    section = (config or {}).get("escalation") or {}
    if not isinstance(section, dict):
        return {}
    directory = people(config, where)
    names = channel_names(config)
    found = {}
    for impact in IMPACTS:
        tier = section.get(impact)
        if not isinstance(tier, dict) or tier.get("chain") is None:
            continue
        raw = tier["chain"]
        label = f"{where}: escalation.{impact}.chain"
        if not isinstance(raw, list) or not raw:
            raise ConfigInvalid(f"{label}: expected a list of steps like {{after: 15m, notify: [cto]}}")
        steps = []
        for number, step in enumerate(raw, 1):
            at = f"{label}[{number}]"
            if not isinstance(step, dict):
                raise ConfigInvalid(f"{at}: expected {{after: 15m, notify: [name, ...]}}")
            if unknown := sorted(set(step) - set(STEP_KEYS)):
                raise ConfigInvalid(f"{at}: unknown key(s) {', '.join(unknown)}; valid: {', '.join(STEP_KEYS)}")
            try:
                after = parse_duration(str(step.get("after", "0m")), f"{at}.after")
            except InvalidInput as exc:
                raise ConfigInvalid(f"{where}: {exc.message}") from None
            notify = step.get("notify")
            notify = [notify] if isinstance(notify, str) else notify
            if not isinstance(notify, list) or not notify:
                raise ConfigInvalid(f"{at}.notify: expected a list of people or channel names")
            for name in notify:
                if str(name) not in directory and str(name) not in names:
                    raise ConfigInvalid(
                        f"{at}.notify: unknown person or channel {name!r}; people: "
                        f"{', '.join(sorted(directory)) or '(none: add a people: section)'}; "
                        f"channels: {', '.join(sorted(names))}")
            if steps and after < steps[-1].after:
                raise ConfigInvalid(f"{at}.after: steps must be in order (this one is earlier than the one before)")
            steps.append(Step(after, tuple(str(n) for n in notify)))
        found[impact] = tuple(steps)
    return found


def channel_names(config: dict) -> set[str]:
    from ..channels.registry import DEFAULT_CHANNELS

    configured = (config or {}).get("channels") or {}
    return set(DEFAULT_CHANNELS) | (set(map(str, configured)) if isinstance(configured, dict) else set())


def validate(config: dict, where) -> None:
    """Called when opsctl.yaml loads: people, chains and seed-format alerts fail here, not at 3 a.m."""
    if not isinstance(config, dict):
        return
    if "people" in config or any(isinstance(t, dict) and "chain" in t
                                 for t in ((config.get("escalation") or {}).values()
                                           if isinstance(config.get("escalation"), dict) else [])):
        chains(config, str(where))
    if config.get("alerts") is not None:
        from ..jobs.config import load_rules

        load_rules(config, where)
