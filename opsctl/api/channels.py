"""`opsctl channels list|test` as library calls: what is configured (secrets masked), does it work."""

from __future__ import annotations

from ..context import Context, ensure
from ..errors import InvalidInput
from ..scrub import scrub
from ..channels import registry
from ..channels.base import DeliveryError

FILTER_KEYS = ("impacts", "types", "services", "projects", "subjects", "purposes", "mention")


def list_channels(*, ctx: Context | None = None) -> list[dict]:
    ctx = ensure(ctx)
    shown = []
    channels = registry.configured(ctx, include_unusable=True)
    named = {c.channel for c in channels} | set((ctx.config or {}).get("channels") or {})
    # the built-ins that could switch on by themselves, with what they need
    channels += [registry.channel_type(name).from_config(name, {}, ctx.settings.get)
                 for name in registry.AUTO if name not in named]
    for channel in channels:
        shown.append({
            "channel": channel.channel,
            "type": channel.name,
            "ready": channel.missing() is None,
            "missing": channel.missing(),
            "settings": {k: scrub(v) for k, v in channel.describe().items()},
            "routing": {k: channel.options[k] for k in FILTER_KEYS if k in channel.options},
        })
    return shown


def test_channels(names: list[str] | None = None, *, ctx: Context | None = None) -> list[dict]:
    """Send a test message through each configured channel (or the named ones), now, not via the outbox."""
    import time

    from ..delivery.policy import policy

    ctx = ensure(ctx)
    channels = registry.configured(ctx, include_unusable=True)
    if names:
        unknown = sorted(set(names) - {c.channel for c in channels})
        if unknown:
            raise InvalidInput(f"no channel {unknown[0]!r} configured; configured: "
                               f"{', '.join(c.channel for c in channels) or 'none'}")
        channels = [c for c in channels if c.channel in names]
    rules = policy(ctx)
    results = []
    for channel in channels:
        started = time.monotonic()
        entry = {"channel": channel.channel, "type": channel.name}
        if channel.missing():
            entry.update(status="skipped", detail=channel.missing())
        else:
            try:
                entry.update(status="ok", detail=channel.test(timeout=rules.timeout))
            except DeliveryError as exc:
                entry.update(status="failed", detail=exc.message)
            except Exception as exc:  # noqa: BLE001 - report, never crash the test run
                entry.update(status="failed", detail=channel.classify(exc).message)
        entry["detail"] = scrub(channel.redact(entry["detail"] or ""))
        entry["seconds"] = round(time.monotonic() - started, 3)
        results.append(entry)
    return results
