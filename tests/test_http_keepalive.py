"""The channels' one HTTP path (opsctl/channels/http.py): connections kept alive per origin, never
reused once the server closed them, redirects that keep credentials on their origin, proxies."""

from __future__ import annotations

import base64
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from opsctl.channels.base import Permanent
from opsctl.channels.http import send


class Server:
    """HTTP/1.1 with keep-alive; counts connections. `close_after_each`: closes the connection after
    answering without saying so (as a server whose idle timeout is very short would)."""

    def __init__(self, *, close_after_each: bool = False):
        self.seen: list[dict] = []
        self.connections = 0
        self.redirect_to: str | None = None
        self.closed = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                server.connections += 1

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.seen.append({"path": self.path, "body": body,
                                    "headers": {k.lower(): v for k, v in self.headers.items()}})
                if server.redirect_to and self.path.endswith("/start"):
                    self.send_response(307)
                    self.send_header("Location", server.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
                self.close_connection = close_after_each

            def log_message(self, *args):
                pass

        class Httpd(ThreadingHTTPServer):
            daemon_threads = True

            def shutdown_request(self, request):
                super().shutdown_request(request)
                server.closed.set()

        self.httpd = Httpd(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers():
    made: list[Server] = []

    def make(**kw) -> Server:
        made.append(Server(**kw))
        return made[-1]

    yield make
    for server in made:
        server.close()


def post(url: str, headers: dict | None = None, body: bytes = b'{"n": 1}'):
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    return send(request, what="test hook", timeout=5)


def test_posts_to_one_origin_share_one_connection(servers):
    server = servers()
    for n in range(20):
        assert post(server.url + f"/hook/{n}")[0] == 200
    assert len(server.seen) == 20 and server.connections == 1


def test_a_connection_the_server_closed_while_idle_is_not_reused(servers):
    server = servers(close_after_each=True)
    assert post(server.url + "/hook")[0] == 200
    assert server.closed.wait(10)  # the server has closed it (a condition, not a pause)
    assert post(server.url + "/hook")[0] == 200  # on a new connection, not an error
    assert len(server.seen) == 2 and server.connections == 2


def test_a_cross_origin_307_drops_credentials_and_keeps_the_body(servers):
    first, second = servers(), servers()
    first.redirect_to = second.url + "/landed"
    post(first.url + "/start", {"Authorization": "Basic c2lkOnRva2Vu", "Cookie": "session=1"}, b'{"a": 1}')
    assert first.seen[0]["headers"]["authorization"] == "Basic c2lkOnRva2Vu"
    [landed] = second.seen
    assert landed["path"] == "/landed" and landed["body"] == b'{"a": 1}'
    assert "authorization" not in landed["headers"] and "cookie" not in landed["headers"]


def test_a_same_origin_307_keeps_credentials(servers):
    server = servers()
    server.redirect_to = server.url + "/landed"
    post(server.url + "/start", {"Authorization": "Bearer same-origin"})
    assert [s["headers"].get("authorization") for s in server.seen] == ["Bearer same-origin"] * 2


def test_a_redirect_loop_is_a_permanent_failure_not_a_hang(servers):
    server = servers()
    server.redirect_to = server.url + "/start"
    with pytest.raises(Permanent, match="redirected more than 5 times"):
        post(server.url + "/start")
    assert len(server.seen) == 6


def test_the_http_proxy_of_the_environment_is_asked_for_the_absolute_url(servers, monkeypatch):
    proxy = servers()
    monkeypatch.setenv("http_proxy", proxy.url.replace("http://", "http://ops:pa%40ss@"))
    post("http://hooks.example.invalid:8080/hook?x=1")  # never resolved here: the proxy is asked
    [asked] = proxy.seen
    assert asked["path"] == "http://hooks.example.invalid:8080/hook?x=1"
    assert asked["headers"]["host"] == "hooks.example.invalid:8080"
    assert asked["headers"]["proxy-authorization"] == "Basic " + base64.b64encode(b"ops:pa@ss").decode()


def test_no_proxy_hosts_are_reached_directly(servers, monkeypatch):
    proxy, server = servers(), servers()
    monkeypatch.setenv("http_proxy", proxy.url)
    monkeypatch.setenv("no_proxy", "localhost")
    post(server.url.replace("127.0.0.1", "localhost") + "/hook")
    assert proxy.seen == [] and [s["path"] for s in server.seen] == ["/hook"]
