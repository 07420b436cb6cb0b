"""The `opsctl` command: a thin skin over the library.

`main()` is the one place where errors become a one-line message and an exit
code (`raw_main` does the work, `main` owns the process-level policy).
"""

from __future__ import annotations

import os
import sys

from .argv import prepare
from .registry import build_app


def raw_main(argv: list[str]) -> int:
    app = build_app(argv)
    result = app(args=argv, prog_name="opsctl", standalone_mode=False)
    return result if isinstance(result, int) else 0


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["run"]:  # cron's hot path: no typer unless it needs help or reports a usage error
        from .run_fast import fast_main

        code = fast_main(list(argv[1:]))
        if code is not None:
            return code
    import typer

    from ..errors import ExitCode, OpsctlError

    argv, debug = prepare(list(argv) or ["--help"])
    debug = debug or os.environ.get("OPSCTL_DEBUG", "") not in ("", "0", "false")
    json_mode = "--json" in (argv[:argv.index("--")] if "--" in argv else argv)
    usage_error = typer.BadParameter.__mro__[1]  # click's UsageError, as bundled by typer
    click_error = usage_error.__mro__[1]
    try:
        return raw_main(argv)
    except OpsctlError as exc:
        if debug:
            raise
        return _fail(exc.message, int(exc.exit_code), json_mode)
    except usage_error as exc:
        if debug:
            raise
        hint = " (see --help)" if "--help" not in exc.format_message() else ""
        return _fail(exc.format_message().rstrip(".") + hint, int(ExitCode.INVALID), json_mode)
    except click_error as exc:
        return _fail(exc.format_message(), exc.exit_code, json_mode)
    except typer.Abort:
        return _fail("aborted", 130, json_mode)
    except KeyboardInterrupt:
        return _fail("interrupted", 130, json_mode)
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no tracebacks for users
        if debug:
            raise
        return _fail(f"unexpected {type(exc).__name__}: {exc} (run with --debug for details)",
                     int(ExitCode.FAILURE), json_mode)


def _fail(message: str, code: int, json_mode: bool) -> int:
    from ..scrub import scrub

    message = scrub(message)
    if json_mode:
        import json

        print(json.dumps({"ok": False, "error": message, "exit_code": code}, ensure_ascii=False))
    print(f"opsctl: {message}", file=sys.stderr)
    return code
