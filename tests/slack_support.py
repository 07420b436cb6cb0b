"""A real `opsctl slack listen` process against the Socket Mode fake."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.socket_mode import SocketModeFake
from tests.support import wait_for

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def socket_slack(loopback_env, monkeypatch):
    with SocketModeFake() as fake:
        monkeypatch.setenv("SLACK_BOT_TOKEN", fake.token)
        monkeypatch.setenv("SLACK_APP_TOKEN", fake.app_token)
        monkeypatch.setenv("SLACK_CHANNEL", "C000GENERAL")
        monkeypatch.setenv("SLACK_API_URL", fake.api_url)
        yield fake
    assert not fake.errors, fake.errors


class Listener:
    def __init__(self, fake: SocketModeFake, env: dict | None = None):
        self.fake = fake
        self.proc = subprocess.Popen([sys.executable, "-m", "opsctl", "slack", "listen"], cwd=os.getcwd(),
                                     env=dict(os.environ, PYTHONPATH=str(REPO), **(env or {})),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: fake.connected() or self.proc.poll() is not None)
        assert self.proc.poll() is None, self.proc.communicate()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def listener(socket_slack):
    started = []

    def start(env: dict | None = None) -> Listener:
        started.append(Listener(socket_slack, env))
        return started[-1]

    yield start
    for one in started:
        one.stop()
