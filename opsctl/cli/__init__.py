"""The `opsctl` command: a thin skin over the library.

`main()` is the one place where errors become a one-line message and an exit
code (`raw_main` does the work, `main` owns the process-level policy); `entry()`
is the executable: `main()`, then the process ends (see `leave`).
"""

from __future__ import annotations

import os
import sys

from .argv import prepare
from .registry import build_app, overview


def raw_main(argv: list[str]) -> int:
    from .. import config_check
    from ..trust import refusals
    from .argv import validate

    refusals.clear()  # per invocation (the in-process CLI runs many)
    config_check.start()
    validate(argv)
    from . import output

    app = overview() if argv in (["--help"], ["-h"]) else build_app(argv)
    paged = _first(argv) in PAGED and output.start_paging()
    try:
        result = app(args=argv, prog_name="opsctl", standalone_mode=False)
    finally:
        if paged:
            output.finish_paging()
        used_config = config_check.used()
        _config_problems(argv)
    code = result if isinstance(result, int) else 0
    if config_check.found and code == 0 and used_config:  # done with the defaults; still a failure
        from ..errors import ConfigInvalid

        message = next(iter(config_check.found.values()))
        config_check.found.clear()
        if "--json" not in argv:
            raise ConfigInvalid(message)
        return int(ConfigInvalid.exit_code)  # stdout already holds the command's JSON; stderr said why
    if refusals and code == 0:  # the command did what it could; the refused command makes it a failure
        if "--json" not in argv:
            raise refusals[0]
        return int(refusals[0].exit_code)  # stdout already holds the command's JSON; stderr said why
    return code


def _config_problems(argv: list[str]) -> None:
    """Every command validates opsctl.yaml; what is broken is recorded as its own error."""
    if any(a in ("--help", "-h") for a in argv):
        return
    from .. import config_check

    config_check.check_once()
    if config_check.record_found() is None:
        return


def entry() -> None:
    """The `opsctl` executable and `python -m opsctl`: run the command, then end the process (see leave)."""
    # Under notion-client, httpx imports its own command-line tool when click, rich and pygments are
    # installed (they are, with typer), and httpcore imports trio when it is installed, to offer trio
    # async support: together more than a Notion notification's whole send, for code this process never
    # runs (the CLI sends synchronously). Marked absent, both packages take the path they take when
    # those are not installed.
    for unused in ("httpx._main", "trio"):
        sys.modules.setdefault(unused, None)
    from .. import executable

    executable.RUNNING = True
    code = main()
    from .leave import leave

    leave(code)


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["run"]:  # cron's hot path: no typer unless it needs help or reports a usage error
        from .run_fast import fast_main

        code = fast_main(list(argv[1:]))
        if code is not None:
            return code
    if argv[:1] == ["serve"]:  # a server's first answer should not wait for typer
        from .serve_fast import serve_main

        code = serve_main(list(argv[1:]))
        if code is not None:
            return code
    if _first(argv) in WARM and not {"--help", "-h"} & set(argv):
        from ..delivery import warm  # its client libraries are imported on the other core meanwhile

        warm.start()
    import typer

    from ..errors import ExitCode, OpsctlError

    if os.environ.get("_OPSCTL_COMPLETE"):  # the shell asks for completions (see `opsctl completion`)
        from .completion_cmd import complete

        return complete()
    from . import output

    prepared = prepare(list(argv) or ["--help"])
    argv, debug = prepared.argv, prepared.debug
    if prepared.version:
        from .. import __version__

        print(f"opsctl {__version__}")
        return 0
    output.set_format(prepared.format)
    debug = debug or os.environ.get("OPSCTL_DEBUG", "") not in ("", "0", "false")
    json_mode = "--json" in (argv[:argv.index("--")] if "--" in argv else argv)
    usage_error = typer.BadParameter.__mro__[1]  # click's UsageError, as bundled by typer
    click_error = usage_error.__mro__[1]
    if prepared.bad_format is not None:
        return _fail(f"invalid --format {prepared.bad_format!r}; valid: {', '.join(output.FORMATS)}",
                     int(ExitCode.INVALID), json_mode)
    try:
        return raw_main(argv)
    except OpsctlError as exc:
        if debug:
            return _traceback(exc, int(exc.exit_code))
        return _fail(exc.message, int(exc.exit_code), json_mode, exc.code)
    except usage_error as exc:
        if debug:
            return _traceback(exc, int(ExitCode.INVALID))
        hint = " (see --help)" if "--help" not in exc.format_message() else ""
        return _fail(exc.format_message().rstrip(".") + hint, int(ExitCode.INVALID), json_mode, "invalid_input")
    except click_error as exc:
        return _fail(exc.format_message(), exc.exit_code, json_mode, "invalid_input")
    except typer.Abort:
        return _fail("aborted", 130, json_mode)
    except KeyboardInterrupt:
        return _fail("interrupted", 130, json_mode)
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no tracebacks for users
        from ..ledger.failures import classify

        known = classify(exc)  # sqlite3 errors that escaped a command: locked, read-only, corrupt
        if debug:
            return _traceback(exc, int(ExitCode.FAILURE))
        if known is not None:
            return _fail(known.message, int(known.exit_code), json_mode, known.code)
        return _fail(f"unexpected {type(exc).__name__}: {exc} (run with --debug for details)",
                     int(ExitCode.FAILURE), json_mode, "internal_error")


# commands whose output can run long: paged at a terminal
PAGED = {"stats", "digest", "errors", "requests", "improvements", "jobs", "outbox", "postmortem", "integrations",
         "channels", "quota"}


WARM = {"notify-error"}  # commands that notify at once: a sender is forked as they start (delivery/warm.py)


def _first(argv: list[str]) -> str | None:
    return next((arg for arg in argv if not arg.startswith("-")), None)


def _fail(message: str, code: int, json_mode: bool, slug: str = "operational_failure") -> int:
    from ..scrub import scrub

    message = " ".join(scrub(message).split())  # one line
    if json_mode:
        import json

        print(json.dumps({"ok": False, "error": message, "code": slug, "exit_code": code}, ensure_ascii=False))
    print(f"opsctl: {message}", file=sys.stderr)
    return code


def _traceback(exc: BaseException, code: int) -> int:
    """--debug: the traceback, scrubbed like everything else opsctl prints."""
    import traceback

    from ..scrub import scrub

    sys.stderr.write(scrub("".join(traceback.format_exception(exc))))
    return code
