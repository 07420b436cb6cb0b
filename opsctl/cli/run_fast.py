"""The hot path of `opsctl run`: parsed and run without typer (nor typing, nor rich).

Cron calls `opsctl run` every few minutes and it must add almost nothing to the
job, so the common forms are parsed here (`fast_main`); anything else
(`--help`, a typo) returns None and falls through to the typer command in
`run_cmd`, which shares `execute`. Silent on success: the job's own output
passes through and opsctl adds nothing.
"""

from __future__ import annotations

import os
import sys

_VALUED = {"--timeout": "timeout", "--max-lock-age": "max_lock_age"}
_SWITCHES = {"--lock": ("lock", True), "--no-lock": ("lock", False), "--json": ("json", True),
             "--debug": ("debug", True)}


def parse(argv: list[str]) -> dict | None:
    """The arguments after `run`, or None when typer should handle them (help, unknown flags)."""
    found: dict = {"name": None, "command": [], "timeout": None, "max_lock_age": None, "lock": None,
                   "json": False, "debug": False}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            found["command"] = argv[i + 1:]
            break
        flag, eq, value = arg.partition("=")
        if flag in _VALUED:
            if not eq:
                i += 1
                if i >= len(argv):
                    return None
                value = argv[i]
            found[_VALUED[flag]] = value
        elif arg in _SWITCHES:
            key, setting = _SWITCHES[arg]
            found[key] = setting
        elif arg.startswith("-"):
            return None
        elif found["name"] is None:
            found["name"] = arg
        else:  # `opsctl run NAME ./job.sh -v`: the command starts at the first word after NAME
            found["command"] = argv[i:]
            break
        i += 1
    return found if found["name"] is not None and found["command"] else None


def fast_main(argv: list[str]) -> int | None:
    found = parse(argv)
    if found is None:
        return None
    from ..errors import ExitCode, OpsctlError

    debug = found["debug"] or os.environ.get("OPSCTL_DEBUG", "") not in ("", "0", "false")
    try:
        return execute(found["name"], found["command"], timeout=found["timeout"], lock=found["lock"],
                       max_lock_age=found["max_lock_age"], json_out=found["json"])
    except OpsctlError as exc:
        if debug:
            raise
        return _fail(exc.message, int(exc.exit_code), found["json"])
    except KeyboardInterrupt:
        return _fail("interrupted", 130, found["json"])
    except Exception as exc:  # noqa: BLE001 - as in opsctl.cli.main: no tracebacks for users
        if debug:
            raise
        return _fail(f"unexpected {type(exc).__name__}: {exc} (run with --debug for details)",
                     int(ExitCode.FAILURE), found["json"])


def execute(name: str, command: list[str], *, timeout=None, lock=None, max_lock_age=None,
            json_out: bool = False) -> int:
    from ..jobs.service import exit_code, run_job

    # with --json, stdout carries one JSON object: the job's stdout goes to our stderr
    stdout = (getattr(sys.stderr, "buffer", None) or _TextSink(sys.stderr)) if json_out else None
    outcome = run_job(name, command, timeout=timeout, lock=lock, max_lock_age=max_lock_age, stdout=stdout)
    if json_out:
        import json

        sys.stdout.write(json.dumps(outcome, ensure_ascii=False, default=str) + "\n")
    else:
        _tell(outcome)
    return exit_code(outcome)


def _tell(outcome: dict) -> None:
    """One line on stderr when something needs attention; nothing at all on success."""
    lines, shown = [], []
    if outcome["took_over_from"]:
        lines.append(f"took over the lock of a dead run (pid {outcome['took_over_from'].get('pid')})")
    if outcome["status"] != "SUCCESS":
        what = {"SKIPPED": "", "TIMEOUT": "killed: ", "ERROR": "failed: "}[outcome["status"]]
        lines.append(f"{outcome['job']} {what}{outcome['message'] or 'exit code ' + str(outcome['exit_code'])}")
    errors = ([outcome["error"]] if outcome["error"] else []) + outcome["raised"]
    for error in errors:
        where = ", ".join(f"{d['channel']}: {d['status']}" for d in error["deliveries"])
        if error["deduplicated"]:
            lines.append(f"{error['id']} {error['status']} (seen {error['occurrences']} times)")
            continue
        again = " came back (regression)" if error["regression"] else ""
        lines.append(f"{error['id']} {error['status']}{again} — {where or 'no channel configured: shown here'}")
        if not where and error["message"]:
            shown.append(error["message"].rstrip())
    if outcome["problem"]:
        lines.append(outcome["problem"])
    for line in lines:
        print(f"opsctl: {line}", file=sys.stderr)
    for message in shown:  # the notification itself, as CONTRACT.md wants when no channel is set up
        print(f"\n{message}\n", file=sys.stderr)


class _TextSink:
    """Bytes to a text stream (stderr replaced by a StringIO in-process)."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, data: bytes) -> None:
        self.stream.write(data.decode("utf-8", "replace"))

    def flush(self) -> None:
        self.stream.flush()


def _fail(message: str, code: int, json_mode: bool) -> int:
    from . import _fail as fail

    return fail(message, code, json_mode)
