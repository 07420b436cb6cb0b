"""Real processes: two `opsctl deliver` at once, and a process killed with SIGKILL mid-delivery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest

from tests.conftest import REPO
from tests.delivery_support import notion_env, outbox_rows, slack_env  # noqa: F401
from tests.fakes import SlackFake


START = "2026-03-02T09:00:00Z"
LATER = "2026-03-02T09:30:00Z"  # past every backoff and every claim's lease


def _env(slack, **extra) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO), SLACK_BOT_TOKEN=slack.token, SLACK_CHANNEL="#general",
               SLACK_API_URL=slack.api_url)
    env.update(extra)
    return env


def _opsctl(*args, env, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "opsctl", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def _ids(slack) -> Counter:
    return Counter(json.dumps(m.blocks).split("*ID:*\\n")[1].split('"')[0] for m in slack.messages)


def test_two_concurrent_deliver_processes_send_each_message_once(slack_env):
    count = 12
    slack_env.fail_next("chat.postMessage", status=500, times=count * 3)
    env = _env(slack_env, OPSCTL_NOW=START, OPSCTL_AUTODRAIN="0")
    for n in range(count):
        proc = _opsctl("notify-error", "--type", "api_limit", "--service", f"svc-{n}", "--json", env=env)
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
    assert slack_env.messages == [] and len(outbox_rows("queued")) == count
    slack_env.hang_next("chat.postMessage", seconds=0.3, times=count)  # slow Slack (3.6 s): the two runs overlap
    later = _env(slack_env, OPSCTL_NOW=LATER, OPSCTL_AUTODRAIN="0")
    runs = [_opsctl("deliver", "--json", env=later) for _ in range(2)]
    outputs = [json.loads(run.communicate(timeout=120)[0]) for run in runs]
    assert sum(o["sent"] for o in outputs) == count
    assert all(o["sent"] > 0 for o in outputs), outputs  # both really worked the same outbox at once
    assert _ids(slack_env) == Counter({f"error-{n}": 1 for n in range(1, count + 1)})
    assert len(outbox_rows("sent")) == count


class StallAfterPosting(SlackFake):
    """Stores the message, then does not answer: the sender dies between "sent" and "recorded"."""

    def __init__(self):
        super().__init__()
        self.stall = threading.Event()
        self.release = threading.Event()

    def handle(self, req):
        reply = super().handle(req)
        if self.stall.is_set() and req.route == "chat.postMessage":
            self.release.wait(30)
        return reply


@pytest.fixture
def stalling(loopback_env):
    fake = StallAfterPosting()
    yield fake
    fake.release.set()
    fake.stop()


def _wait_for(predicate, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.02)  # polling a condition, not waiting for time to pass
    raise AssertionError("condition not reached")


def test_kill_9_after_sending_before_recording_gives_at_most_one_duplicate(stalling):
    stalling.stall.set()
    env = _env(stalling, OPSCTL_NOW=START, OPSCTL_AUTODRAIN="0")
    victim = _opsctl("notify-error", "--type", "api_limit", "--service", "Scraper API", "--json", env=env)
    _wait_for(lambda: len(stalling.messages) == 1)  # Slack has the message; opsctl has not heard back
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    stalling.stall.clear()
    stalling.release.set()
    [row] = outbox_rows()
    assert row["status"] == "sending"  # the claim is still held by the dead process
    same_time = _env(stalling, OPSCTL_NOW=START, OPSCTL_AUTODRAIN="0")
    assert json.loads(_opsctl("deliver", "--json", env=same_time).communicate(timeout=60)[0])["sent"] == 0
    later = _env(stalling, OPSCTL_NOW=LATER, OPSCTL_AUTODRAIN="0")
    for _ in range(2):
        _opsctl("deliver", "--json", env=later).communicate(timeout=60)
    assert len(stalling.messages) == 2  # the one documented duplicate, never more
    assert outbox_rows()[0]["status"] == "sent"


def test_kill_9_before_the_message_arrived_gives_exactly_one(slack_env):
    slack_env.hang_next("chat.postMessage")  # the request never reaches Slack's handler
    env = _env(slack_env, OPSCTL_NOW=START, OPSCTL_AUTODRAIN="0")
    victim = _opsctl("notify-error", "--type", "api_limit", "--service", "Scraper API", "--json", env=env)
    _wait_for(lambda: len(slack_env.calls("chat.postMessage")) == 1)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    later = _env(slack_env, OPSCTL_NOW=LATER, OPSCTL_AUTODRAIN="0")
    out = json.loads(_opsctl("deliver", "--json", env=later).communicate(timeout=60)[0])
    assert out["sent"] == 1 and len(slack_env.messages) == 1


def test_several_channels_in_a_real_process_report_each_outcome(slack_env, notion_env):
    notion_env.fail_next("pages.create", status=429, retry_after=90)
    env = dict(_env(slack_env, OPSCTL_NOW=START, OPSCTL_AUTODRAIN="0"),
               **{k: v for k, v in os.environ.items() if k.startswith("NOTION_")})
    out, err = _opsctl("notify-error", "--type", "api_limit", "--service", "X", "--json", env=env).communicate(
        timeout=60)
    result = {d["channel"]: d for d in json.loads(out)["deliveries"]}
    assert result["slack"]["status"] == "sent" and result["notion"]["status"] == "queued"
    assert "rate-limited" in result["notion"]["error"]
    [row] = outbox_rows("queued")
    assert row["next_attempt_at"] >= "2026-03-02T09:01:30"  # Retry-After decides the next attempt
    assert outbox_rows("sent")[0]["remote_id"] == slack_env.messages[0].ts
