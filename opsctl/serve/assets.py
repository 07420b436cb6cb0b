"""The dashboard's own CSS and JavaScript, served by opsctl (no CDN, nothing fetched elsewhere)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from .routes import Response, failure

FOLDER = Path(__file__).with_name("assets")
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@cache
def _read(name: str) -> bytes | None:
    path = FOLDER / name
    return path.read_bytes() if path.is_file() else None


def static_view(app, request, name: str) -> Response:
    body = _read(name)
    if body is None:
        return failure(404, f"no such file {name}", "not_found")
    return Response(200, body, TYPES[Path(name).suffix], {"Cache-Control": "max-age=300"})
