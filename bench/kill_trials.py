"""Kill trials by the hundred: SIGKILL at seeded random moments of notify-error, deliver and tick.

  python bench/kill_trials.py [--trials 100] [--seed 1] [--commands notify-error deliver tick]

Each trial has its own ledger and service; the loopback fakes of the test suite (Slack Web API,
Notion, the notify_user URL) count what arrived. Prints, per command: trials, how many kills hit
a running process, how many errors were recorded, and per channel the notifications lost and the
duplicates. Done when lost is 0 everywhere and duplicates ≤ kills of an in-flight send.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.kill_support import run_trials  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-delay", type=float, default=None, help="kill within this many seconds of the start"
                        " (default: 1.2 × the first, unkilled trial)")
    parser.add_argument("--commands", nargs="+", default=["notify-error", "deliver", "tick"])
    args = parser.parse_args()
    for command in args.commands:
        started = time.monotonic()
        with tempfile.TemporaryDirectory() as folder:
            summary = run_trials(command, args.trials, seed=args.seed, max_delay=args.max_delay, folder=Path(folder))
        summary["seconds"] = round(time.monotonic() - started, 1)
        print(f"{command:13s} " + json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
