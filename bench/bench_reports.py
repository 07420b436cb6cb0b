"""Issue #13 targets for reads at scale, this code against an earlier revision in the same run.

  python bench/bench_reports.py [--before REV] [--errors 1000000] [--runs 3] [--keep DIR]

On the 1,000,000-error ledger of bench_escalation.py (built here, or reused with --keep):
- `opsctl errors list --json --limit 0`   ≤ 0.3 × the time of REV, ≤ 200 MB peak RSS (it streams)
- `opsctl digest --period week --dry-run` ≤ 0.5 × REV, ≤ 100 MB
- `opsctl stats --since 30d`              ≤ 0.5 × REV, ≤ 100 MB
REV (default: the commit before issue 13's work, 3b24a6e) is exported with `git archive` into a
temporary folder, this work tree's package copied into another; both are byte-compiled (as an install
is) and run as `python -m opsctl` with PYTHONPATH pointing at their own copy, from a folder outside the
repository, interleaved. Peak RSS is the kernel's figure for each child (wait4).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from bench_escalation import NOW, big_ledger  # noqa: E402
from harness import checkout, compare_with_peak, compiled_copy  # noqa: E402

TARGETS = {  # command -> (ratio to REV at most, peak MB at most)
    "errors list --json --limit 0": (["errors", "list", "--json", "--limit", "0"], 0.3, 200),
    "digest --period week --dry-run": (["digest", "--period", "week", "--dry-run"], 0.5, 100),
    "stats --since 30d": (["stats", "--since", "30d"], 0.5, 100),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default="3b24a6e", help="git revision to compare with")
    parser.add_argument("--errors", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Build (or reuse) the big ledger in this folder.")
    parser.add_argument("--only", help="Run only the targets whose name contains this.")
    args = parser.parse_args()

    big = big_ledger(args.keep, args.errors, "opsctl-bench-reports-")
    work = big.parent
    before = checkout(args.before, Path(tempfile.mkdtemp(prefix="opsctl-before-")))
    now = compiled_copy(ROOT, Path(tempfile.mkdtemp(prefix="opsctl-now-")))
    outside = tempfile.mkdtemp(prefix="opsctl-bench-cwd-")  # `python -m` puts the cwd first on sys.path
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NOTION_", "OPSCTL_"))}
    env.update(OPSCTL_HOME=str(work / "home"), OPSCTL_NOW=NOW)
    ok = True
    for name, (argv, ratio_at_most, peak_at_most) in TARGETS.items():
        if args.only and args.only not in name:
            continue
        # both read the same ledger (the new code migrates it first: its index is made once, before timing)
        now_cmd = ["env", f"PYTHONPATH={now}", f"OPSCTL_DB={big}", sys.executable, "-m", "opsctl", *argv]
        old_cmd = ["env", f"PYTHONPATH={before}", f"OPSCTL_DB={big}", sys.executable, "-m", "opsctl", *argv]
        compare_with_peak({"warm": now_cmd}, runs=1, env=env, cwd=outside)
        result = compare_with_peak({"before": old_cmd, "now": now_cmd}, runs=args.runs, env=env, cwd=outside)
        (old_s, old_mb), (new_s, new_mb) = result["before"], result["now"]
        ratio = new_s / old_s
        passed = ratio <= ratio_at_most and new_mb <= peak_at_most
        ok &= passed
        print(f"\n## opsctl {name} ({args.errors:,} errors, median of {args.runs})")
        print(f"  before ({args.before}) median {old_s * 1000:9.1f} ms  peak {old_mb:7.1f} MB")
        print(f"  now                 median {new_s * 1000:9.1f} ms  peak {new_mb:7.1f} MB   ratio {ratio:5.2f}×"
              f"  (target ≤ {ratio_at_most}×, ≤ {peak_at_most} MB: {'PASS' if passed else 'FAIL'})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
