"""A real `opsctl serve` process for tests: started on a free port, waited for by polling the port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.support import wait_for

TOKEN = "test-serve-token-0123456789"
PROMTOOL = Path(os.environ.get("OPSCTL_PROMTOOL", "/opt/promtool/usr/bin/promtool"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class Served:
    def __init__(self, proc: subprocess.Popen, host: str, port: int, token: str | None, log_path: Path):
        self.proc, self.host, self.port, self.token, self.log_path = proc, host, port, token, log_path
        self.url = f"http://{host}:{port}"

    def request(self, method: str, path: str, body=None, *, token: str | None = "default", headers=None,
                raw: bytes | None = None, timeout: float = 30) -> Reply:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        sent = {"Content-Type": "application/json"} if data is not None else {}
        token = self.token if token == "default" else token
        if token:
            sent["Authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=sent)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=timeout) as response:
                return Reply(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, dict(exc.headers), exc.read())

    def get(self, path: str, **kw) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, body=None, **kw) -> Reply:
        return self.request("POST", path, body, **kw)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    def log(self) -> str:
        return self.log_path.read_text()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def start(cwd: Path, *, host: str = "127.0.0.1", token: str | None = TOKEN, env: dict | None = None,
          extra: list[str] | None = None) -> Served:
    port = free_port()
    full_env = dict(os.environ, PYTHONPATH=str(REPO))
    if token:
        full_env["OPSCTL_SERVE_TOKEN"] = token
    full_env.update(env or {})
    log_path = cwd / f"serve-{port}.log"  # a file, not a pipe: a busy access log never blocks the server
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "opsctl", "serve", "--host", host, "--port", str(port),
                                 *(extra or [])], cwd=cwd, env=full_env, stdout=subprocess.DEVNULL, stderr=log)
    probe_host = "127.0.0.1" if host in ("0.0.0.0", "127.0.0.1") else host
    wait_for(lambda: proc.poll() is not None or port_open(probe_host, port), 30)
    if proc.poll() is not None:
        raise AssertionError(f"opsctl serve exited {proc.returncode}: {log_path.read_text()}")
    return Served(proc, probe_host, port, token, log_path)


@pytest.fixture
def served(tmp_path):
    server = start(tmp_path)
    yield server
    assert server.stop() == 0, "opsctl serve did not exit 0 on SIGTERM"


REPORT_FOR_METRICS = {"type": "api_limit", "service": "Scraper API", "details": "Free tier limit reached",
                      "impact": "blocking", "options": ["New API key"]}
