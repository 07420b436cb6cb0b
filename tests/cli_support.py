"""`incli`: the `cli` fixture's interface (a CompletedProcess back), run in this process.

For CLI tests that need no real process (no concurrency, kill or signal): same arguments, same
environment handling (`env=` adds variables for the one call), stdin from `input=`, about 50× faster
than starting Python. Import the fixture into a test module: `from tests.cli_support import incli`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import traceback

import pytest


class InProcessCli:
    def __call__(self, *args: str, env: dict | None = None, input: str | None = None, timeout: float = 60):
        from opsctl.cli import main

        saved = {name: os.environ.get(name) for name in (env or {})}
        os.environ.update(env or {})
        out, err = io.StringIO(), io.StringIO()
        stdin, sys.stdin = sys.stdin, io.StringIO(input or "")
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(list(args))
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 1
                except Exception:  # noqa: BLE001 - what the interpreter would print (--debug)
                    traceback.print_exc()
                    code = 1
        finally:
            sys.stdin = stdin
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        return subprocess.CompletedProcess(["opsctl", *args], code, out.getvalue(), err.getvalue())

    def json(self, *args: str, env: dict | None = None, expect: int = 0) -> dict:
        proc = self(*args, "--json", env=env)
        assert proc.returncode == expect, proc.stderr + proc.stdout
        return json.loads(proc.stdout)


@pytest.fixture
def incli() -> InProcessCli:
    return InProcessCli()
