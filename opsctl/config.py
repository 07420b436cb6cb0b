"""`opsctl.yaml`: loaded only when a command needs it, checked on load."""

from __future__ import annotations

from pathlib import Path

from .errors import ConfigInvalid

SUPPORTED_VERSIONS = (1,)
SECTIONS = ("version", "channels", "routing", "escalation", "remediation", "jobs", "rules", "probes",
            "quota", "digest", "integrations", "run", "outbox", "people", "alerts", "slack")


def load_config(path: Path | None) -> dict:
    """The parsed config ({} when there is none); exit 1 naming the file when it is broken."""
    if path is None:
        return {}
    if not path.is_file():
        raise ConfigInvalid(f"config file {path} does not exist; create it or unset OPSCTL_CONFIG")
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where else ""
        raise ConfigInvalid(f"{path}: invalid YAML{line}: {getattr(exc, 'problem', exc)}; fix the file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigInvalid(f"cannot read {path}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigInvalid(f"{path}: expected a mapping of sections ({', '.join(SECTIONS)})")
    version = data.get("version", 1)
    if version not in SUPPORTED_VERSIONS:
        raise ConfigInvalid(f"{path}: unsupported version {version!r}; supported: 1")
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise ConfigInvalid(f"{path}: unknown section(s) {', '.join(unknown)}; valid: {', '.join(SECTIONS)}")
    from .people.directory import validate

    validate(data, path)  # people, escalation chains, alerts
    if "slack" in data:
        from .slack.config import check as check_slack

        check_slack(path, data["slack"])
    return data
