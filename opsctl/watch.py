"""`with opsctl.watch(service=...)`: record and notify on an exception, then re-raise it."""

from __future__ import annotations

import functools
import traceback

from .classify import classify, default_options


class watch:
    """Context manager and decorator. The exception always propagates.

    If recording fails (ledger broken), the original exception still wins and a
    note goes to stderr: watching must never hide the real problem.
    """

    def __init__(self, service: str, project: str | None = None, *, impact: str = "blocking",
                 options=None, recommendation: str | None = None, error_type: str | None = None, ctx=None):
        self.service, self.project, self.impact = service, project, impact
        self.options, self.recommendation, self.error_type, self.ctx = options, recommendation, error_type, ctx
        self.result: dict | None = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            return False
        kind = self.error_type or classify(exc)
        frames = "".join(traceback.format_exception(exc_type, exc, tb, limit=-3))
        try:
            from .api.errors import notify_error

            self.result = notify_error(
                kind, self.service, f"{type(exc).__name__}: {exc}\n\n{frames}", self.impact,
                self.options or default_options(kind), project=self.project,
                recommendation=self.recommendation, source="watch", ctx=self.ctx)
        except Exception as failure:  # noqa: BLE001 - never mask the caller's exception
            import sys

            print(f"opsctl.watch: could not record the error: {failure}", file=sys.stderr)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with watch(self.service, self.project, impact=self.impact, options=self.options,
                       recommendation=self.recommendation, error_type=self.error_type, ctx=self.ctx):
                return fn(*args, **kwargs)

        return wrapper
