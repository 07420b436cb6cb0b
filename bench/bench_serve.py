"""Issue #11 speed targets for `opsctl serve`, each beside a baseline measured in the same run.

  python bench/bench_serve.py [--runs 15] [--errors 1000000] [--load-seconds 30] [--clients 50] [--keep DIR]

1. Start-up: time from launching the process to its first answered request, for
   - a standard-library ThreadingHTTPServer returning a constant (the baseline),
   - `opsctl serve` (target: first answer within 0.5 s of start),
   - starlette + uvicorn returning a constant (the alternative considered, when installed).
2. `/api/status` and `/metrics` on a ledger of 1,000,000 errors (built with SQL as in
   bench_escalation.py): median over interleaved requests, beside the constant server (target ≤ 150 ms).
3. Load: 50 concurrent clients for 30 s on a small ledger (status, health, metrics, dashboard):
   0 failed requests; p50/p99 reported.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))
from bench_escalation import NOW, build_ledger  # noqa: E402

CONSTANT_STDLIB = r"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"status": "operational"}\n'
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""

CONSTANT_STARLETTE = r"""
import sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
async def status(request):
    return JSONResponse({"status": "operational"})
app = Starlette(routes=[Route("/api/status", status)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def launch(argv: list[str], env: dict) -> tuple[subprocess.Popen, int, float]:
    """Start a server; poll until it answers; return (process, port, seconds to the first answer)."""
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([*argv, str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            status, _ = get(port, "/api/status", timeout=5)
            if status == 200:
                return proc, port, time.perf_counter() - started
        except OSError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"server exited {proc.returncode}: {argv}")
        time.sleep(0.002)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=30)


def opsctl_serve(env: dict) -> list[str]:
    return ["sh", "-c", f'exec {sys.executable} -m opsctl serve --port "$0"']


def startup(runs: int, env: dict) -> dict[str, float]:
    named = {"stdlib ThreadingHTTPServer, constant (baseline)": [sys.executable, "-c", CONSTANT_STDLIB],
             "opsctl serve (empty ledger)": opsctl_serve(env)}
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401

        named["starlette + uvicorn, constant"] = [sys.executable, "-c", CONSTANT_STARLETTE]
    except ImportError:
        print("  (starlette/uvicorn not installed: pip install uvicorn starlette to compare)")
    samples: dict[str, list[float]] = {name: [] for name in named}
    for _ in range(runs):
        for name, argv in named.items():
            proc, _, seconds = launch(argv, env)
            stop(proc)
            samples[name].append(seconds)
    return {name: statistics.median(values) for name, values in samples.items()}


def latency(ports: dict[str, tuple[int, str]], runs: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in ports}
    for _ in range(2):
        for port, path in ports.values():
            get(port, path)
    for _ in range(runs):
        for name, (port, path) in ports.items():
            started = time.perf_counter()
            status, _ = get(port, path)
            samples[name].append(time.perf_counter() - started)
            assert status == 200, (name, status)
    return {name: statistics.median(values) for name, values in samples.items()}


def load(port: int, clients: int, seconds: float) -> dict:
    paths = ("/api/status", "/api/health", "/metrics", "/admin/operations")
    timings: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(n: int):
        mine, bad = [], []
        i = n
        while time.monotonic() < deadline:
            path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            try:
                status, _ = get(port, path)
                if status != 200:
                    bad.append(f"{path}: HTTP {status}")
            except OSError as exc:
                bad.append(f"{path}: {exc}")
            mine.append(time.perf_counter() - started)
        with lock:
            timings.extend(mine)
            failures.extend(bad)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    timings.sort()
    return {"requests": len(timings), "failed": len(failures), "examples": failures[:5],
            "p50": timings[len(timings) // 2], "p99": timings[int(len(timings) * 0.99)],
            "rate": len(timings) / seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--errors", type=int, default=1_000_000)
    parser.add_argument("--load-seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--keep", type=Path, help="Build (or reuse) the big ledger in this folder.")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="opsctl-bench-serve-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NOTION_", "OPSCTL_"))}
    env.update(PYTHONPATH=str(REPO), OPSCTL_HOME=str(work / "empty-home"), NO_PROXY="127.0.0.1")
    ok = True

    print("\n## start-up: launch → first answered GET /api/status")
    medians = startup(args.runs, env)
    base = medians["stdlib ThreadingHTTPServer, constant (baseline)"]
    for name, value in medians.items():
        print(f"  {name:<52} median {value * 1000:7.1f} ms   ratio {value / base:5.2f}×")
    first = medians["opsctl serve (empty ledger)"]
    ok &= first <= 0.5
    print(f"  opsctl serve answers {first * 1000:.0f} ms after start (target ≤ 500 ms: {'PASS' if first <= 0.5 else 'FAIL'})")

    big = work / f"big-{args.errors}.db"
    if not big.exists():
        started = time.perf_counter()
        build_ledger(big, args.errors)
        print(f"\nbuilt {big} ({args.errors:,} errors + events) in {time.perf_counter() - started:.1f}s")
    from opsctl.ledger import connect

    connect(big).close()  # applies the serve indexes to a ledger built before them
    big_env = dict(env, OPSCTL_DB=str(big), OPSCTL_NOW=NOW)
    constant, constant_port, _ = launch([sys.executable, "-c", CONSTANT_STDLIB], env)
    served, port, _ = launch(opsctl_serve(big_env), big_env)
    try:
        print(f"\n## {args.errors:,}-error ledger: median of {args.runs * 3} requests each, interleaved")
        medians = latency({"constant stdlib server GET /api/status (baseline)": (constant_port, "/api/status"),
                           "opsctl serve GET /api/status": (port, "/api/status"),
                           "opsctl serve GET /metrics": (port, "/metrics")}, args.runs * 3)
        base = medians["constant stdlib server GET /api/status (baseline)"]
        for name, value in medians.items():
            line = f"  {name:<52} median {value * 1000:7.1f} ms   ratio {value / base:6.2f}×"
            if name != "constant stdlib server GET /api/status (baseline)":
                passed = value <= 0.150
                ok &= passed
                line += f"  (target ≤ 150 ms: {'PASS' if passed else 'FAIL'})"
            print(line)
    finally:
        stop(served)
        stop(constant)

    small_home = work / "small-home"
    small_env = dict(env, OPSCTL_HOME=str(small_home))
    for n in range(40):
        subprocess.run([sys.executable, "-m", "opsctl", "track-error", "--error-type", "system_error", "--service",
                        f"svc-{n}", "--impact", ("blocking", "warning", "info")[n % 3]], env=small_env, check=True,
                       stdout=subprocess.DEVNULL)
    served, port, _ = launch(opsctl_serve(small_env), small_env)
    try:
        print(f"\n## load: {args.clients} concurrent clients for {args.load_seconds:.0f} s "
              "(status, health, metrics, dashboard in turn; 40 open errors)")
        result = load(port, args.clients, args.load_seconds)
    finally:
        stop(served)
    passed = result["failed"] == 0
    ok &= passed
    print(f"  {result['requests']:,} requests ({result['rate']:.0f}/s), failed {result['failed']} "
          f"({'PASS' if passed else 'FAIL'}), p50 {result['p50'] * 1000:.1f} ms, p99 {result['p99'] * 1000:.1f} ms")
    for example in result["examples"]:
        print(f"    {example}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
