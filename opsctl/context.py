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

        conn = connect(self.settings)
        if not getattr(self, "_ingesting", False):
            if _spooled(self.settings.home):  # reports kept while the ledger was unavailable
                self.__dict__["conn"] = conn
                self._ingesting = True
                try:
                    from .spool import ingest

                    ingest(self)
                finally:
                    self._ingesting = False
        return conn

    @cached_property
    def config(self) -> dict:
        from .config import load_config
        from .config_check import usable

        path = self.settings.config_path
        return usable(load_config(path), path, self.settings)

    @cached_property
    def channels(self) -> list:
        """Every channel this invocation has, usable or not (built once: tick queues thousands of notices)."""
        from .channels.registry import build

        return build(self)

    @property
    def actor(self) -> str:
        return self._actor or self.settings.actor

    def close(self) -> None:
        if "conn" in self.__dict__:
            self.__dict__.pop("conn").close()


def ensure(ctx: Context | None) -> Context:
    return ctx if ctx is not None else Context()


def _spooled(home) -> bool:
    """Cheap: is anything waiting in the spool? (no import of opsctl.spool on the usual path)"""
    import os

    try:
        return any(name.endswith(".json") and not name.startswith(".") for name in os.listdir(os.path.join(home, "spool")))
    except OSError:
        return False
