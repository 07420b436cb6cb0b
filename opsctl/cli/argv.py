"""Argument shapes click does not speak natively, rewritten before parsing."""

from __future__ import annotations

import re

# Flags that take one or more values after a single flag: `--options A B C`.
MULTI_VALUE_FLAGS = ("--options", "--targets")


def prepare(argv: list[str]) -> tuple[list[str], bool]:
    """Expand `--options A B` into `--options A --options B`; pull out `--debug`."""
    out: list[str] = []
    debug = False
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            out += argv[i:]
            break
        if arg == "--debug":
            debug = True
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
    return out, debug


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
