"""A tiny side-by-side timing harness: commands run interleaved, medians compared.

Interleaving (A, B, A, B, …) rather than all-A-then-all-B keeps a busy machine
from favouring one side. Used by every bench script; needs nothing but Python.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def opsctl_command() -> list[str]:
    """The installed console script next to this interpreter (no pyenv shim), else `python -m opsctl`."""
    script = Path(sys.executable).parent / "opsctl"
    return [str(script)] if script.exists() else [sys.executable, "-m", "opsctl"]


def time_once(argv: list[str], env: dict | None = None, stdin: bytes | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {argv}\n{proc.stderr.decode()[-2000:]}")
    return elapsed


def compare(named: dict[str, list[str]], *, runs: int = 15, warmup: int = 2, env: dict | None = None) -> dict:
    """Median seconds per name, commands interleaved."""
    env = env or dict(os.environ)
    for _ in range(warmup):
        for argv in named.values():
            time_once(argv, env)
    samples: dict[str, list[float]] = {name: [] for name in named}
    for _ in range(runs):
        for name, argv in named.items():
            samples[name].append(time_once(argv, env))
    return {name: statistics.median(values) for name, values in samples.items()}


def report(title: str, medians: dict[str, float], baseline: str, targets: dict[str, float]) -> bool:
    print(f"\n## {title}")
    ok = True
    base = medians[baseline]
    for name, value in medians.items():
        line = f"  {name:<48} median {value * 1000:8.1f} ms"
        if name != baseline:
            ratio = value / base
            line += f"   ratio {ratio:5.2f}×"
            if name in targets:
                passed = ratio <= targets[name]
                ok &= passed
                line += f"  (target ≤ {targets[name]}×: {'PASS' if passed else 'FAIL'})"
        print(line)
    return ok


def have(tool: str) -> bool:
    return shutil.which(tool) is not None
