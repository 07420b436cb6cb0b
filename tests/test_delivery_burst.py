"""Real processes at once: a burst of notify-error on three channels, and a forward clock jump."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter

from tests.kill_support import REPO, notify_args, start_fakes
import pytest

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL

BURST = 30  # bench/bench_delivery.py --processes 200 runs the big one


def _env(fakes, home, at):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NOTION_", "OPSCTL_"))}
    env.update(fakes.env, PYTHONPATH=str(REPO), OPSCTL_HOME=str(home), OPSCTL_NOW=at)
    return env


def _start(fakes, home, at, *args):
    return subprocess.Popen([sys.executable, "-m", "opsctl", *args, "--json"], env=_env(fakes, home, at), cwd=home,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _services(fakes) -> Counter:
    return Counter(next(s for s in json.dumps(m.blocks).split('"') if s.startswith("burst-"))
                   for m in fakes.slack.messages if "burst-" in json.dumps(m.blocks))


def test_a_burst_of_notify_error_processes_sends_each_message_exactly_once(tmp_path):
    fakes = start_fakes()
    try:
        procs = [_start(fakes, tmp_path, "2026-03-02T09:00:00Z", *notify_args(f"burst-{n}")) for n in range(BURST)]
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
        _start(fakes, tmp_path, "2026-03-02T09:30:00Z", "deliver").communicate(timeout=120)
        slack = Counter(m.text.split("Scraper")[0] for m in fakes.slack.messages)
        assert len(fakes.slack.messages) == BURST, slack
        hook = Counter(b["service"] for b in fakes.hook.bodies)
        assert hook == Counter({f"burst-{n}": 1 for n in range(BURST)})
        notion = Counter(s for p in fakes.notion.pages.values() for s in [f"burst-{n}" for n in range(BURST)]
                         if json.dumps(p["properties"]).count(f'"{s}"'))
        assert notion == Counter({f"burst-{n}": 1 for n in range(BURST)})
    finally:
        fakes.stop()


def test_a_forward_clock_jump_in_another_process_does_not_steal_a_live_claim(tmp_path):
    fakes = start_fakes()
    try:
        fakes.slack.hang_next("chat.postMessage", seconds=1.5)  # slow, but within the 5 s timeout
        first = _start(fakes, tmp_path, "2026-03-02T09:00:00Z", *notify_args("jump"))
        end = time.monotonic() + 60
        while not fakes.slack.calls("chat.postMessage") and time.monotonic() < end:
            time.sleep(0.02)  # polling a condition: the first process is mid-send
        jumped = _start(fakes, tmp_path, "2026-03-03T09:00:00Z", "deliver")  # a clock one day ahead
        jumped.communicate(timeout=120)
        out, _ = first.communicate(timeout=120)
        assert {d["channel"]: d["status"] for d in json.loads(out)["deliveries"]}["slack"] == "sent"
        assert len(fakes.slack.messages) == 1
        assert len([b for b in fakes.hook.bodies if b["service"] == "jump"]) == 1
    finally:
        fakes.stop()
