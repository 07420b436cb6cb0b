"""Argument shapes click does not speak natively, rewritten before parsing."""

from __future__ import annotations

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


def _short_flag(arg: str) -> bool:
    return len(arg) == 2 and arg[0] == "-" and arg[1].isalpha()
