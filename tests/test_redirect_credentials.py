"""Probe and quota requests never carry credentials to another origin on a redirect."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from opsctl.probes.http import fetch
from opsctl.quota import sources


class _Server:
    def __init__(self):
        self.seen: list[dict] = []
        self.redirect_to: str | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.seen.append({k.lower(): v for k, v in self.headers.items()} | {"path": self.path})
                if server.redirect_to and self.path == "/start":
                    self.send_response(302)
                    self.send_header("Location", server.redirect_to)
                    self.end_headers()
                    return
                body = json.dumps({"used": 5, "limit": 10}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers():
    a, b = _Server(), _Server()
    yield a, b
    a.close()
    b.close()


def test_cross_origin_redirect_drops_authorization(servers):
    a, b = servers
    a.redirect_to = b.url + "/landed"
    response = fetch(a.url + "/start", headers={"Authorization": "Bearer s3cret-probe", "X-Api-Key": "k3y"})
    assert response.status == 200
    assert a.seen[0]["authorization"] == "Bearer s3cret-probe"
    landed = b.seen[0]
    assert landed["path"] == "/landed"
    assert "authorization" not in landed and "x-api-key" not in landed


def test_same_origin_redirect_keeps_authorization(servers):
    a, _ = servers
    a.redirect_to = a.url + "/landed"
    fetch(a.url + "/start", headers={"Authorization": "Bearer same-origin"})
    assert [s.get("authorization") for s in a.seen] == ["Bearer same-origin", "Bearer same-origin"]


def test_quota_usage_source_does_not_leak_its_key(servers):
    a, b = servers
    a.redirect_to = b.url + "/elsewhere"
    spec = sources.check_spec({"type": "http", "url": a.url + "/start", "auth_env": "USAGE_KEY"})
    reading = sources.read(spec, {"USAGE_KEY": "usage-s3cret"}.get)
    assert reading.used == 5 and reading.limit == 10
    assert a.seen[0]["authorization"] == "Bearer usage-s3cret"
    assert "authorization" not in b.seen[0]
