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


def time_once(argv: list[str], env: dict | None = None, stdin: bytes | None = None, cwd=None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {argv}\n{proc.stderr.decode()[-2000:]}")
    return elapsed


def compare(named: dict[str, list[str]], *, runs: int = 15, warmup: int = 2, env: dict | None = None,
            cwd=None) -> dict:
    """Median seconds per name, commands interleaved."""
    env = env or dict(os.environ)
    for _ in range(warmup):
        for argv in named.values():
            time_once(argv, env, cwd=cwd)
    samples: dict[str, list[float]] = {name: [] for name in named}
    for _ in range(runs):
        for name, argv in named.items():
            samples[name].append(time_once(argv, env, cwd=cwd))
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


def time_and_peak(argv: list[str], env: dict | None = None, cwd: str | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one run, from the kernel's accounting of that child (wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {argv}\n{stderr[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def compare_with_peak(named: dict[str, list[str]], *, runs: int = 3, env: dict | None = None,
                      cwd: str | None = None) -> dict[str, tuple[float, float]]:
    """(median seconds, largest peak MB) per name, commands interleaved."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in named}
    for _ in range(runs):
        for name, argv in named.items():
            samples[name].append(time_and_peak(argv, env, cwd))
    return {name: (statistics.median(s for s, _ in values), max(p for _, p in values))
            for name, values in samples.items()}


def checkout(rev: str, into: Path) -> Path:
    """The `opsctl` package as it was at git revision `rev`, exported (not a worktree) into `into`, compiled."""
    root = Path(__file__).resolve().parent.parent
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(root), "archive", rev, "opsctl"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return compiled(into)


def compiled_copy(code: Path, into: Path) -> Path:
    """A copy of the `opsctl` package found in the folder `code` (a work tree, uncommitted edits included),
    compiled, in `into`: the folder to put on PYTHONPATH."""
    shutil.copytree(code / "opsctl", into / "opsctl", ignore=shutil.ignore_patterns("__pycache__"))
    return compiled(into)


def compiled(folder: Path) -> Path:
    """Byte-compile the `opsctl` package in `folder`, as `pip install` does.

    The floors import typer and the standard library from compiled files; with PYTHONDONTWRITEBYTECODE
    set (this sandbox sets it) opsctl's own modules would be compiled from source on every run, a cost
    no installed copy pays. Timing both sides from bytecode compares like with like."""
    import compileall

    if not compileall.compile_dir(str(folder / "opsctl"), quiet=1, workers=1):
        raise SystemExit(f"cannot compile {folder / 'opsctl'}")
    return folder
