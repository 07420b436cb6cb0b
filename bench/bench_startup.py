"""Issue #13 start-up targets, each a ratio to a floor timed in the same run (interleaved medians).

  python bench/bench_startup.py [--runs 15]

- `opsctl track-error …` (a ledger write)  ≤ 1.25 × `python -c "import typer, sqlite3"`
- `opsctl --help`                          ≤ 1.5 × the same typer floor
- `opsctl run NAME -- true`                ≤ 3 × `python -c pass`

opsctl runs from a compiled copy of the package (as `pip install` leaves it), like the floors' typer and
standard library (see harness.compiled_copy).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import compare, compiled_copy, report  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--code", type=Path, default=ROOT, help="Folder holding the opsctl package to time"
                        " (e.g. an earlier revision exported with `git archive REV opsctl | tar -x -C DIR`);"
                        " it is timed from a compiled copy.")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="opsctl-bench-startup-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NOTION_", "OPSCTL_"))}
    code = compiled_copy(args.code, work / "code")
    env.update(OPSCTL_HOME=str(work / "home"), PYTHONPATH=str(code))
    opsctl = [sys.executable, "-m", "opsctl"]  # this checkout's code (an installed script may be another's)
    typer_floor, pass_floor = "python -c 'import typer, sqlite3'", "python -c pass"
    write, helps, run = "opsctl track-error (ledger write)", "opsctl --help", "opsctl run bench -- true"
    commands = {
        typer_floor: [sys.executable, "-c", "import typer, sqlite3"],
        pass_floor: [sys.executable, "-c", "pass"],
        write: opsctl + ["track-error", "--error-type", "system_error", "--service", "bench", "--details", "x"],
        helps: opsctl + ["--help"],
        run: opsctl + ["run", "bench", "--", "true"],
    }
    medians = compare(commands, runs=args.runs, env=env, cwd=work)
    ok = report("start-up against the typer floor", {k: medians[k] for k in (typer_floor, write, helps)},
                typer_floor, {write: 1.25, helps: 1.5})
    ok &= report("opsctl run against the interpreter floor", {k: medians[k] for k in (pass_floor, run)},
                 pass_floor, {run: 3.0})
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
