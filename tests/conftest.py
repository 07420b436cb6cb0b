"""Every test gets its own ledger folder and a clean environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.fixtures import *  # noqa: F401,F403 - fake Slack / Notion / hook servers
from tests.pg_support import ledger_backend, pg_server  # noqa: F401 - real PostgreSQL

REPO = Path(__file__).resolve().parent.parent
_CLEARED = ("SLACK_", "NOTION_", "OPSCTL_")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith(_CLEARED):
            monkeypatch.delenv(name)
    home = tmp_path / "opsctl-home"
    monkeypatch.setenv("OPSCTL_HOME", str(home))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.chdir(tmp_path)
    from opsctl import clock

    clock.set_now(None)
    yield home
    clock.set_now(None)


class Cli:
    """Runs `python -m opsctl` as a real process (the way agents and cron call it)."""

    def __init__(self, cwd: Path):
        self.cwd = cwd

    def __call__(self, *args: str, env: dict | None = None, input: str | None = None, timeout: float = 60):
        full_env = dict(os.environ, PYTHONPATH=str(REPO))
        full_env.update(env or {})
        return subprocess.run([sys.executable, "-m", "opsctl", *args], cwd=self.cwd, env=full_env,
                              capture_output=True, text=True, input=input, timeout=timeout)

    def json(self, *args: str, env: dict | None = None, expect: int = 0) -> dict:
        proc = self(*args, "--json", env=env)
        assert proc.returncode == expect, proc.stderr + proc.stdout
        return json.loads(proc.stdout)


@pytest.fixture
def cli(tmp_path) -> Cli:
    return Cli(tmp_path)


@pytest.fixture
def run_cli():
    """In-process CLI (fast): returns (exit_code, stdout, stderr)."""

    def run(*args: str):
        import contextlib
        import io

        from opsctl.cli import main

        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
        return code, out.getvalue(), err.getvalue()

    return run
