"""The scrubber runs on every report: how long one scrub of a typical report takes, against a baseline.

  python bench/bench_scrub.py [--rounds 2000] [--baseline PATH_TO_AN_OLDER_opsctl/scrub.py]

Times `scrub()` on a 4 KiB job tail with a few secrets in it and on a short clean details line,
interleaving this tree's scrubber with the baseline's (e.g. `git show v0.1.0:opsctl/scrub.py > /tmp/old.py`),
and prints medians and the ratio.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TAIL = ("step 1 ok\n" * 150 + "DB_PASSWORD=hunter22 psql failed\nAuthorization: Bearer abcdefghijklmnop\n"
        + "GET https://api.example.com/v1/items?page=2 200 in 31ms\n" * 20 + "xoxb-1234567890-abcdefghij\n")[:4096]
LINE = "Free tier limit reached (1000/1000 requests) on the Scraper API"


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"scrub_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.scrub


def _time(fn, text: str, rounds: int) -> float:
    began = time.perf_counter()
    for _ in range(rounds):
        fn(text)
    return (time.perf_counter() - began) / rounds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--baseline", type=Path, required=True, help="an older opsctl/scrub.py")
    args = parser.parse_args()
    from opsctl.scrub import scrub

    old = _load(args.baseline)
    for name, text in (("4 KiB job tail", TAIL), ("one details line", LINE)):
        new_t, old_t = [], []
        for _ in range(15):
            new_t.append(_time(scrub, text, args.rounds // 10))
            old_t.append(_time(old, text, args.rounds // 10))
        new_m, old_m = statistics.median(new_t), statistics.median(old_t)
        print(f"{name}: this tree {new_m * 1e6:.1f} µs, baseline {old_m * 1e6:.1f} µs, ratio {new_m / old_m:.2f}")


if __name__ == "__main__":
    main()
