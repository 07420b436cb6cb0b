"""Which channel types exist and which channels are configured.

Built-in channel types come through the same door as third-party ones: a name mapped to
"module:Class". A package adds a type with an entry point in the `opsctl.channels` group:

    [project.entry-points."opsctl.channels"]
    pager = "opsctl_pager:PagerChannel"

and users enable it in opsctl.yaml (`channels: {oncall: {type: pager, url_env: PAGER_URL}}`).
Entry points are only scanned when a config names a type that is not built in.
"""

from __future__ import annotations

import importlib

from ..errors import OperationalFailure
from .base import Channel

DEFAULT_CHANNELS = {
    "notify_user": "opsctl.channels.notify_user:NotifyUserChannel",
    "slack": "opsctl.channels.slack:SlackChannel",
    "notion": "opsctl.channels.notion:NotionChannel",
    "webhook": "opsctl.channels.webhook:WebhookChannel",
    "email": "opsctl.channels.email:EmailChannel",
    "sms": "opsctl.channels.sms:SmsChannel",
}
# Built-ins that switch themselves on when their variables are set (other webhooks need opsctl.yaml).
AUTO = ("notify_user", "slack", "notion", "email", "sms")
# the operations guide's names: a webhook channel called "webhook" and its signing secret
ALERT_WEBHOOK = ("ALERT_WEBHOOK_URL", "ALERT_WEBHOOK_SECRET")
ENTRY_POINT_GROUP = "opsctl.channels"


def _load(spec: str) -> type[Channel]:
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def _plugins() -> dict[str, str]:
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def channel_type(name: str) -> type[Channel]:
    spec = DEFAULT_CHANNELS.get(name) or _plugins().get(name)
    if spec is None:
        known = sorted(set(DEFAULT_CHANNELS) | set(_plugins()))
        raise OperationalFailure(f"opsctl.yaml: unknown channel type {name!r}; known: {', '.join(known)}")
    return _load(spec)


def all_types() -> dict[str, str]:
    return {**_plugins(), **DEFAULT_CHANNELS}


def configured(ctx, *, include_unusable: bool = False) -> list[Channel]:
    """The channels this invocation can use: built-ins found in the environment plus opsctl.yaml's.

    With `include_unusable`, also the ones named in opsctl.yaml whose settings are missing
    (`missing()` says what to set); routing reports those as `skipped`.
    """
    found = ctx.channels  # built once per Context (its settings and config are read once too)
    return list(found) if include_unusable else [c for c in found if c.missing() is None]


def build(ctx) -> list[Channel]:
    """Every configured channel, usable or not: the built-ins only when their settings are complete."""
    section = (ctx.config or {}).get("channels") or {}
    if not isinstance(section, dict):
        raise OperationalFailure("opsctl.yaml: `channels:` must map channel names to their settings")
    env = ctx.settings.get
    found: list[Channel] = []
    for name in AUTO:
        if name in section:
            continue
        channel = channel_type(name).from_config(name, {}, env)
        if channel.missing() is None:
            found.append(channel)
    if "webhook" not in section and env(ALERT_WEBHOOK[0]):
        found.append(channel_type("webhook").from_config("webhook", _webhook_alias({"url_env": ALERT_WEBHOOK[0]}, env),
                                                         env))
    for name, options in section.items():
        options = options or {}
        if not isinstance(options, dict):
            raise OperationalFailure(f"opsctl.yaml: channels.{name} must be a mapping of settings")
        if options.get("enabled", True) is False:
            continue
        kind = str(options.get("type") or name)
        if kind == "webhook":
            options = _webhook_alias(options, env)
        found.append(channel_type(kind).from_config(str(name), options, env))
    return found


def _webhook_alias(options: dict, env) -> dict:
    """ALERT_WEBHOOK_SECRET signs webhooks when OPSCTL_WEBHOOK_SECRET and the channel's own secret are unset."""
    if options.get("secret") or options.get("secret_env") or env("OPSCTL_WEBHOOK_SECRET") or not env(ALERT_WEBHOOK[1]):
        return options
    return dict(options, secret_env=ALERT_WEBHOOK[1])
