"""A big outbox: the executable's `deliver` sends each large batch from one forked process per core
(delivery/forked.py), records every outcome itself, and claims the next batch meanwhile."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter

from opsctl.delivery import forked
from tests.conftest import REPO
from tests.delivery_support import write_config
from tests.ledger_support import query
from tests.support import children, gone, wait_for

# the executable as agents run it, telling on stderr at its very end how many processes it forked
EXECUTABLE = """
import atexit, os, sys
forks, real = [], os.fork
def counted():
    pid = real()
    if pid:
        forks.append(pid)
    return pid
os.fork = counted
atexit.register(lambda: sys.stderr.write(f"\\nforks: {len(forks)}"))
sys.argv = ['opsctl', *sys.argv[1:]]
from opsctl.cli import entry
entry()
"""


def _queue(count: int) -> None:
    """`count` due webhook deliveries, queued the way tick queues them."""
    from opsctl.ledger import connect, outbox_table, transaction
    from opsctl.settings import Settings

    conn = connect(Settings.load())
    rows = [({"event_id": n, "subject": "error", "subject_id": n, "channel": "hooks", "purpose": "escalation",
              "payload": {"notification": {"id": f"error-{n}", "title": f"Quota: service {n}",
                                           "message": f"service {n} is out of quota"}}},
             "2026-01-01T00:00:00Z") for n in range(1, count + 1)]
    with transaction(conn):
        outbox_table.insert_many(conn, rows, at="2026-01-01T00:00:00Z")
    conn.close()


def _deliver(cwd, **env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", EXECUTABLE, "deliver", "--json"], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO), "OPSCTL_NOW": "2026-01-01T00:01:00Z", **env})


def _delivered(cwd, **env) -> tuple[dict, str]:
    """`deliver --json` run to its end: (its JSON, its stderr)."""
    proc = _deliver(cwd, **env)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return json.loads(out), err


def _arrivals(fake_hook) -> Counter:
    return Counter(r.header("x-opsctl-delivery") for r in fake_hook.received)


def test_a_big_outbox_is_sent_from_forked_processes_each_row_once(fake_hook, tmp_path, isolated_home):
    write_config(f"channels:\n  hooks: {{type: webhook, url: '{fake_hook.hook_url}'}}\n")
    _queue(600)
    result, err = _delivered(tmp_path)
    assert result["sent"] == 600 and {d["status"] for d in result["deliveries"]} == {"sent"}
    assert _arrivals(fake_hook) == Counter({str(n): 1 for n in range(1, 601)})  # each row once, none lost
    assert query("SELECT status, COUNT(*) AS n, COUNT(claim_token) AS claimed FROM deliveries GROUP BY status") == [
        {"status": "sent", "n": 600, "claimed": 0}]
    forks = int(err.rsplit("forks: ", 1)[1])
    # rounds of 8, 16, 32, 64 rows are sent by threads here; 128 and 256 by one child per core each
    assert forks == (4 if forked._cores() > 1 else 0)
    assert _delivered(tmp_path)[0]["sent"] == 0 and len(fake_hook.received) == 600


def test_a_parent_killed_mid_round_takes_its_senders_along_and_nothing_is_lost(fake_hook, tmp_path, isolated_home):
    # one round of 200 (concurrency 200: the first claim takes them all), split over the cores; every send hangs
    write_config(f"channels:\n  hooks: {{type: webhook, url: '{fake_hook.hook_url}'}}\noutbox: {{concurrency: 200}}\n")
    _queue(200)
    fake_hook.hang_next("*", times=200)
    parent = _deliver(tmp_path)
    wait_for(lambda: len(fake_hook.requests) == 200)  # every row is on the wire, none answered
    senders = [pid for pid in children(parent.pid) if "opsctl" in open(f"/proc/{pid}/cmdline").read()]
    assert len(senders) == min(forked._cores(), forked.MAX_CHILDREN)
    parent.send_signal(signal.SIGKILL)
    parent.communicate()
    wait_for(lambda: all(gone(pid) for pid in senders))  # they died with it: nothing sends unrecorded
    assert query("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status") == [{"status": "sending", "n": 200}]

    fake_hook.clear_faults()
    assert _delivered(tmp_path, OPSCTL_NOW="2099-01-01T00:00:00Z")[0]["sent"] == 200  # past every lease and backoff
    assert _arrivals(fake_hook) == Counter({str(n): 1 for n in range(1, 201)})  # taken over, each sent once
    assert query("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status") == [{"status": "sent", "n": 200}]


def test_concurrency_one_stays_one_at_a_time_in_this_process(fake_hook, tmp_path, isolated_home):
    write_config(f"channels:\n  hooks: {{type: webhook, url: '{fake_hook.hook_url}'}}\noutbox: {{concurrency: 1}}\n")
    _queue(300)
    result, err = _delivered(tmp_path)
    assert result["sent"] == 300 and int(err.rsplit("forks: ", 1)[1]) == 0  # two children would be two at once
    assert _arrivals(fake_hook) == Counter({str(n): 1 for n in range(1, 301)})
