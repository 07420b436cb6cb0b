"""What one invocation works with: settings, the ledger connection, the config."""

from __future__ import annotations

import sqlite3
from functools import cached_property

from .settings import Settings


class Context:
    """Built once per CLI call (or per Python API call unless one is passed in)."""

    def __init__(self, settings: Settings | None = None, *, actor: str | None = None):
        self.settings = settings or Settings.load()
        self._actor = actor  # who acts, when not the local user (a Slack user, an HTTP client)

    @cached_property
    def conn(self) -> sqlite3.Connection:
        from .ledger import connect

        return connect(self.settings)

    @cached_property
    def config(self) -> dict:
        from .config import load_config

        return load_config(self.settings.config_path)

    @property
    def actor(self) -> str:
        return self._actor or self.settings.actor

    def close(self) -> None:
        if "conn" in self.__dict__:
            self.__dict__.pop("conn").close()


def ensure(ctx: Context | None) -> Context:
    return ctx if ctx is not None else Context()
