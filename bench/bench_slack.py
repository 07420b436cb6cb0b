"""Slack app speed: a click's ack latency, click → decision visible in the ledger, `slack listen` idle CPU.

    python bench/bench_slack.py [--clicks 20] [--idle 60]

Runs a real `opsctl slack listen` against the loopback Socket Mode fake (tests/fakes). Baseline,
measured in the same run: `opsctl decide` from a terminal (what a click replaces).
Targets: every ack < 3 s (Slack's limit); click → visible in `errors show` < 1 s; idle CPU < 1 %.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--idle", type=float, default=60.0)
    args = parser.parse_args()
    from tests.fakes.socket_mode import SocketModeFake
    from tests.support import wait_for

    home = tempfile.mkdtemp(prefix="opsctl-bench-slack-")
    fake = SocketModeFake()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPSCTL_", "NOTION_"))}
    env.update(OPSCTL_HOME=home, SLACK_BOT_TOKEN=fake.token, SLACK_APP_TOKEN=fake.app_token,
               SLACK_CHANNEL="C000GENERAL", SLACK_API_URL=fake.api_url, NO_PROXY="127.0.0.1,localhost",
               PYTHONPATH=str(REPO))
    os.environ.update(env)
    os.chdir(home)
    from opsctl import notify_error
    from opsctl.api.errors import show_error

    proc = subprocess.Popen([sys.executable, "-m", "opsctl", "slack", "listen"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(fake.connected)
        acks, visible, baseline = [], [], []
        for n in range(args.clicks):
            error = notify_error("api_limit", f"Bench {n}", "limit", "blocking", ["A", "B"])
            message = fake.messages[-1]
            start = time.monotonic()
            envelope = fake.click(message, f"opsctl:decide:{error['id']}:2")
            wait_for(lambda: show_error(error["id"])["decision"] == 2)
            visible.append(time.monotonic() - start)
            wait_for(lambda: envelope in fake.acks)
            acks.append(fake.acks[envelope])
            other = notify_error("api_limit", f"Terminal {n}", "limit", "blocking", ["A", "B"])
            start = time.monotonic()
            subprocess.run([sys.executable, "-m", "opsctl", "decide", other["id"], "2"], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            baseline.append(time.monotonic() - start)
        before, started = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(args.idle)  # the benchmark measures idling itself
        idle = (cpu_seconds(proc.pid) - before) / (time.monotonic() - started) * 100
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
        fake.stop()
    ms = lambda xs: f"median {statistics.median(xs) * 1000:7.1f} ms, max {max(xs) * 1000:7.1f} ms"  # noqa: E731
    print(f"\n## Slack app ({args.clicks} clicks)")
    print(f"  baseline: `opsctl decide` from a terminal     {ms(baseline)}")
    print(f"  click -> ack received by Slack (fake)         {ms(acks)}   (target every ack < 3 s: "
          f"{'PASS' if max(acks) < 3 else 'FAIL'})")
    print(f"  click -> decision visible in errors show      {ms(visible)}   ratio "
          f"{statistics.median(visible) / statistics.median(baseline):4.2f}× of baseline  (target < 1 s: "
          f"{'PASS' if max(visible) < 1 else 'FAIL'})")
    print(f"  listen idle CPU over {args.idle:.0f} s                  {idle:.3f} %   (target < 1 %: "
          f"{'PASS' if idle < 1 else 'FAIL'})")
    print(f"  exit code on SIGTERM                          {code}")
    return 0 if max(acks) < 3 and max(visible) < 1 and idle < 1 and code == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
