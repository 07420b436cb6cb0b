"""Moved to `opsctl.api.incidents` (the library layer); kept so existing imports keep working."""

from ..api.incidents import brief, find_open, open_by_source, raise_error, resolve_id, resolve_own  # noqa: F401
