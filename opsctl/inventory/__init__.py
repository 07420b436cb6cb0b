"""The integrations inventory: `integrations.md`, the human document the runbook asks for.

Where it is: `OPSCTL_INTEGRATIONS`, else `integrations: {file: …}` in opsctl.yaml, else
`./integrations.md` when there is one, else `OPSCTL_HOME/integrations.md`.
"""

from __future__ import annotations

from pathlib import Path

ENV = "OPSCTL_INTEGRATIONS"


def locate(ctx) -> Path:
    explicit = ctx.settings.get(ENV)
    if explicit:
        return Path(explicit).expanduser()
    section = ctx.config.get("integrations") or {}
    if isinstance(section, dict) and section.get("file"):
        path = Path(str(section["file"])).expanduser()
        source = ctx.settings.config_path
        return path if path.is_absolute() or source is None else source.parent / path
    local = ctx.settings.cwd / "integrations.md"
    return local if local.is_file() else ctx.settings.home / "integrations.md"


def load(ctx):
    from .document import load as read

    return read(locate(ctx))
