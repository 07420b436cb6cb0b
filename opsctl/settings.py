"""Where things live and what the environment says (env vars win over `.env`)."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from .errors import ConfigInvalid

# variables in a .env that make opsctl run a command: obeyed only from a trusted file (opsctl.trust)
COMMAND_VARS = ("OPSCTL_NOTIFY_USER_CMD",)
LOADED_ENVS: list[dict[str, str]] = []  # every environment Settings.load() merged, for opsctl.scrub


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    from dotenv.parser import parse_stream

    values: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8") as stream:
            for binding in parse_stream(stream):
                if binding.error:
                    line = binding.original.line
                    raise ConfigInvalid(
                        f"{path}: cannot parse line {line} ({binding.original.string.strip()[:40]!r}); "
                        "use NAME=value lines"
                    )
                if binding.key:
                    values[binding.key] = binding.value or ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigInvalid(f"cannot read {path}: {exc}") from None
    return values


class Settings:
    """Paths and variables for one invocation; build with `Settings.load()`.

    A plain class rather than a dataclass: `dataclasses` imports `inspect`, a measurable
    share of the start-up of `opsctl run NAME -- true`, which cron pays on every run.
    """

    def __init__(self, env: dict[str, str] | None = None, cwd: Path | None = None,
                 origins: dict[str, Path] | None = None):
        self.env = {} if env is None else env
        self.cwd = Path.cwd() if cwd is None else cwd
        self.origins = origins or {}  # variable -> the .env file it came from (absent: the real environment)

    def __repr__(self) -> str:  # the environment holds secrets: never print it
        return f"Settings(cwd={self.cwd!r}, env=<{len(self.env)} variables>)"

    @classmethod
    def load(cls, cwd: Path | None = None) -> "Settings":
        """./.env, then OPSCTL_HOME/.env for what it leaves out; real environment variables win."""
        cwd = cwd or Path.cwd()
        merged: dict[str, str] = {}
        origins: dict[str, Path] = {}
        local = cwd / ".env"
        for name, value in _read_dotenv(local).items():
            merged[name], origins[name] = value, local
        home = os.environ.get("OPSCTL_HOME") or merged.get("OPSCTL_HOME")
        if home:
            home_env = Path(home).expanduser() / ".env"
            if home_env.resolve() != local.resolve():
                for name, value in _read_dotenv(home_env).items():
                    if name not in merged:
                        merged[name], origins[name] = value, home_env
        for name in os.environ:
            origins.pop(name, None)
        merged.update(os.environ)
        LOADED_ENVS.append(merged)  # opsctl.scrub learns the secret values from it on its first use
        return cls(env=merged, cwd=cwd, origins=origins)

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self.env.get(name)
        if value not in (None, "") and name in COMMAND_VARS and name in self.origins:
            from .trust import refuse

            if refuse(self.origins[name], name):
                return default
        return value if value not in (None, "") else default

    @cached_property
    def home(self) -> Path:
        explicit = self.get("OPSCTL_HOME")
        if explicit:
            return Path(explicit).expanduser()
        from platformdirs import user_data_dir

        return Path(user_data_dir("opsctl", appauthor=False))

    @property
    def db_path(self) -> Path:
        explicit = self.get("OPSCTL_DB")
        return Path(explicit).expanduser() if explicit else self.home / "ledger.db"

    @property
    def config_path(self) -> Path | None:
        explicit = self.get("OPSCTL_CONFIG")
        if explicit:
            return Path(explicit).expanduser()
        for candidate in (self.cwd / "opsctl.yaml", self.home / "opsctl.yaml"):
            if candidate.is_file():
                return candidate
        return None

    @property
    def debug(self) -> bool:
        return self.get("OPSCTL_DEBUG", "") not in ("", "0", "false")

    @property
    def actor(self) -> str:
        explicit = self.get("OPSCTL_ACTOR")
        if explicit:
            return explicit
        try:
            import getpass

            return getpass.getuser()
        except Exception:  # no user name in some containers
            return "unknown"
