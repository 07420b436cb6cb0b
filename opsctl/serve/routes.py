"""The path table: which handler answers which method and path, and whether it needs the token."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import parse_qs


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    client: str

    def json(self):
        """The body as JSON (an object); InvalidInput when it is not."""
        from ..errors import InvalidInput

        try:
            value = json.loads(self.body.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidInput(f"the request body is not valid JSON ({exc})") from None
        if not isinstance(value, dict):
            raise InvalidInput("the request body must be a JSON object")
        return value

    def form(self) -> dict[str, str]:
        if not self.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return {}
        if self.body.lstrip()[:1] in (b"{", b"["):  # JSON sent with curl -d's default type
            return {}
        try:
            pairs = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            return {}
        return {key: values[-1] for key, values in pairs.items()}


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, obj) -> Response:
    return Response(status, (json.dumps(obj, ensure_ascii=False, default=str) + "\n").encode("utf-8"))


def failure(status: int, message: str, code: str, exit_code: int = 2) -> Response:
    """The failure object the CLI prints with --json, with an HTTP status."""
    from ..scrub import scrub

    return json_response(status, {"ok": False, "error": scrub(message), "code": code, "exit_code": exit_code})


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    target: str  # "module:function" in opsctl.serve, imported on first use (start-up stays lean)
    write: bool = False  # needs the token always (reads need it only beyond loopback)
    html: bool = False  # a page for a browser: a 401 asks for Basic auth
    _handler: Callable | None = None

    @property
    def handler(self) -> Callable:
        if self._handler is None:
            import importlib

            module, _, function = self.target.partition(":")
            self._handler = getattr(importlib.import_module(f"opsctl.serve.{module}"), function)
        return self._handler


TABLE = [  # method, path, handler, write, html
    ("GET", r"/api/health", "health:health_view", False, False),
    ("GET", r"/api/status", "health:status_view", False, False),
    ("GET", r"/api/metrics/(?P<kind>errors|jobs|system)", "health:metrics_view", False, False),
    ("GET", r"/metrics", "prometheus:metrics_view", False, False),
    ("GET", r"/api/badge/(?P<service>[^/]+)\.svg", "badge:badge_view", False, False),
    ("GET", r"/", "dashboard:home_view", False, True),
    ("GET", r"/admin/?", "dashboard:home_view", False, True),
    ("GET", r"/admin/operations", "dashboard:operations_view", False, True),
    ("GET", r"/admin/errors/(?P<error_id>[^/]+)", "incident:incident_view", False, True),
    ("GET", r"/admin/static/(?P<name>[a-z]+\.(?:css|js))", "assets:static_view", False, False),
    ("POST", r"/api/errors", "ingest:errors_view", True, False),
    ("POST", r"/api/errors/(?P<error_id>[^/]+)/decision", "ingest:decision_view", True, False),
    ("POST", r"/api/alertmanager", "ingest:alertmanager_view", True, False),
]


def _routes() -> list[Route]:
    return [Route(method, re.compile(pattern + r"\Z"), target, write, html)
            for method, pattern, target, write, html in TABLE]


ROUTES: list[Route] | None = None


def find(method: str, path: str) -> tuple[Route | None, dict, bool]:
    """(route, path parameters, whether the path exists for another method)."""
    global ROUTES
    if ROUTES is None:
        ROUTES = _routes()
    other_method = False
    for route in ROUTES:
        match = route.pattern.match(path)
        if match:
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                return route, match.groupdict(), False
            other_method = True
    return None, {}, other_method
