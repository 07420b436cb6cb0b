"""Argument shapes click does not speak natively, rewritten before parsing."""

from __future__ import annotations

import re

# Flags that take one or more values after a single flag: `--options A B C`.
MULTI_VALUE_FLAGS = ("--options", "--targets")
FORMATS = ("table", "tsv", "csv", "json")


class Prepared:  # a escape_markup class: dataclasses costs ~10 ms of start-up
    def __init__(self, argv: list[str]):
        self.argv = argv
        self.debug = False
        self.format: str | None = None  # from --format (json also from --json)
        self.bad_format: str | None = None  # an invalid --format value, reported by main()
        self.version = False  # --version before any command


def prepare(argv: list[str]) -> Prepared:
    """Expand `--options A B` into `--options A --options B`; pull out `--debug`, `--format` and `--version`;
    accept `--json` anywhere before `--` (it is moved behind the command, where click expects it)."""
    out: list[str] = []
    found = Prepared(argv=out)
    json_flag = False
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            break
        if arg == "--debug":
            found.debug = True
        elif arg == "--json":
            json_flag = True
        elif arg == "--version" and not any(not a.startswith("-") for a in out):
            found.version = True
        elif arg == "--format" or arg.startswith("--format="):
            if arg == "--format":
                i += 1
                value = argv[i] if i < len(argv) else ""
            else:
                value = arg.partition("=")[2]
            if value.lower() in FORMATS:
                found.format = value.lower()
            else:
                found.bad_format = value
        elif arg in MULTI_VALUE_FLAGS:
            i += 1
            taken = 0
            while i < len(argv) and not (argv[i].startswith("--") or (taken and _short_flag(argv[i]))):
                out += [arg, argv[i]]
                taken += 1
                i += 1
            if not taken:
                out.append(arg)  # let the parser report the missing value
            continue
        else:
            out.append(arg)
        i += 1
    if json_flag or found.format == "json":
        found.format = "json"
        out.append("--json")
    out += argv[i:]  # `--` and what follows it, untouched
    return found


# integer flags that count things: 0 or more
COUNT_FLAGS = ("--limit", "--top", "--unused-days", "--tail-lines")
MAX_INT = 2**63 - 1  # the largest integer the ledger stores
_INTEGER = re.compile(r"[+-]?0*([0-9]+)")


def validate(argv: list[str]) -> None:
    """Reject what no command could use: text that is not UTF-8, numbers beyond the ledger's range."""
    from ..errors import InvalidInput, clip

    for position, arg in enumerate(argv):
        if arg == "--":
            return  # the command `opsctl run` starts is its own business
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            raise InvalidInput(f"argument {position + 1} is not valid UTF-8 text: {clip(shown)}") from None
        flag, eq, value = arg.partition("=")
        if not eq:
            flag, value = (argv[position - 1] if position else ""), arg
        number = value.strip()
        integer = _INTEGER.fullmatch(number)
        if integer and flag.startswith("-") and (len(integer.group(1)) > 19 or int(integer.group(1)) > MAX_INT):
            raise InvalidInput(f"{flag} {clip(number, 40)} is too large; the largest number is {MAX_INT}")
        if flag in COUNT_FLAGS and integer and number.startswith("-"):
            raise InvalidInput(f"{flag} must be 0 or more, not {number}")


def _short_flag(arg: str) -> bool:
    return len(arg) == 2 and arg[0] == "-" and arg[1].isalpha()
