"""The whole opsctl.yaml, validated every time it is loaded, without ever losing a report.

`validate()` runs every section's own parser and collects what is wrong, per section.
`usable()` is the config a command works with: a broken section that reports need on their
way out (routing, escalation, outbox, channels, remediation) is replaced by its defaults, so
a report made while the config is broken is still recorded and delivered through what is
valid. Other broken sections stay: the commands that read them fail (exit 1, config_invalid).

Each problem is printed on stderr once per invocation; the CLI then records it as its own
error (system_error, service `opsctl config`) and exits 1 with code config_invalid.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

from .errors import OpsctlError

CONFIG_SERVICE = "opsctl config"
# sections whose defaults are safe to fall back on so that no report is stranded
REPORT_SECTIONS = ("routing", "escalation", "outbox", "channels", "remediation")

found: dict[str, str] = {}  # section -> message, for this invocation


def _routing(config, path, settings):
    from .routing import check_config

    check_config(config)


def _escalation(config, path, settings):
    from .escalation.policy import from_config

    from_config(config)


def _outbox(config, path, settings):
    from .delivery.policy import policy

    policy(SimpleNamespace(config=config))


def _channels(config, path, settings):
    from .channels.registry import build

    build(SimpleNamespace(config=config, settings=settings))


def _remediation(config, path, settings):
    from .escalation.remediation import rules

    rules(config)


def _jobs(config, path, settings):
    from .jobs.config import configured_jobs, run_section

    configured_jobs(config, path)
    run_section(config, path)


def _rules(config, path, settings):
    from .jobs.config import load_rules

    load_rules(config, path)


def _probes(config, path, settings):
    from .probes.config import load_probes

    load_probes(config, path)


VALIDATORS = {"routing": _routing, "escalation": _escalation, "outbox": _outbox, "channels": _channels,
              "remediation": _remediation, "jobs": _jobs, "rules": _rules, "probes": _probes}


def validate(config: dict, path=None, settings=None) -> dict[str, str]:
    """section -> what is wrong with it (empty when all is well)."""
    problems = {}
    for section, check in VALIDATORS.items():
        if section not in config:
            continue
        try:
            check(config, path, settings)
        except OpsctlError as exc:
            problems[section] = exc.message
    return problems


_state = {"checked": False, "quiet": False}


def usable(config: dict, path=None, settings=None) -> dict:
    """The config to work with: broken report sections replaced by their defaults (and said on stderr)."""
    _state["checked"] = True
    problems = validate(config, path, settings)
    if not problems:
        return config
    for section, message in problems.items():
        if section not in found and not _state["quiet"]:
            found[section] = message
            print(f"opsctl: {message}" + (" (using the defaults for it meanwhile)" if section in REPORT_SECTIONS
                                         else ""), file=sys.stderr)
    return {k: v for k, v in config.items() if not (k in problems and k in REPORT_SECTIONS)}


def start() -> None:
    """A new CLI invocation (the in-process CLI runs many)."""
    found.clear()
    _state.update(checked=False, quiet=False)


def used() -> bool:
    """Did this invocation load the config (for its own work)?"""
    return _state["checked"]


def check_once() -> None:
    """Validate the config when the command itself did not load it (an idle `tick`, `errors list`)."""
    if _state["checked"]:
        return
    from .context import Context
    from .settings import Settings

    try:
        settings = Settings.load()
    except OpsctlError:
        return  # a broken .env is the command's own failure, already said
    try:
        Context(settings).config
    except OpsctlError as exc:  # unreadable YAML, unknown sections: the whole file is the problem
        if "file" not in found:
            found["file"] = exc.message
            print(f"opsctl: {exc.message}", file=sys.stderr)


def record_found() -> dict | None:
    """Record this invocation's config problems as their own error (best effort); the result or None."""
    if not found:
        return None
    details = "\n".join(f"{section}: {message}" for section, message in sorted(found.items()))
    _state["quiet"] = True
    try:
        from .api.errors import notify_error

        return notify_error("system_error", CONFIG_SERVICE, "opsctl.yaml is broken:\n" + details, "warning",
                            ["Fix opsctl.yaml (see the details)", "Check it with: opsctl doctor"])
    except Exception:  # noqa: BLE001 - the ledger may be the other problem; stderr already said it
        return None
    finally:
        _state["quiet"] = False
