"""The `slack:` section of opsctl.yaml: who may click or command, and the slash command's name.

    slack:
      command: /ops            # default /opsctl
      allowed_users: [U0ONCALL, U0CTO]
      allowed_groups: [S0OPS]  # Slack user groups (needs the usergroups:read scope)

With neither list, everyone in the workspace who sees the message may answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigInvalid

KEYS = ("command", "allowed_users", "allowed_groups")
DEFAULT_COMMAND = "/opsctl"


@dataclass(frozen=True)
class SlackConfig:
    command: str = DEFAULT_COMMAND
    allowed_users: tuple[str, ...] = ()
    allowed_groups: tuple[str, ...] = field(default_factory=tuple)

    @property
    def restricted(self) -> bool:
        return bool(self.allowed_users or self.allowed_groups)


def check(path: Path | str, section) -> SlackConfig:
    """Validate the section (exit 1 naming the file and the valid keys) and return it."""
    if section is None:
        return SlackConfig()
    if not isinstance(section, dict):
        raise ConfigInvalid(f"{path}: slack: expected a mapping with keys {', '.join(KEYS)}")
    unknown = sorted(set(section) - set(KEYS))
    if unknown:
        raise ConfigInvalid(f"{path}: slack: unknown key(s) {', '.join(unknown)}; valid: {', '.join(KEYS)}")
    command = section.get("command", DEFAULT_COMMAND)
    if not isinstance(command, str) or not command.startswith("/") or len(command) < 2 or " " in command:
        raise ConfigInvalid(f"{path}: slack: command must look like /opsctl, got {command!r}")
    lists = {}
    for key in ("allowed_users", "allowed_groups"):
        value = section.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigInvalid(f"{path}: slack: {key} must be a list of Slack ids (U…/S…)")
        lists[key] = tuple(v.strip() for v in value)
    return SlackConfig(command=command, **lists)


def load(ctx) -> SlackConfig:
    return check(ctx.settings.config_path or "opsctl.yaml", ctx.config.get("slack"))
