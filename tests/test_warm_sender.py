"""`notify-error` forks its senders as it starts: they import slack-sdk and notion-client while it records
(delivery/warm.py). Real processes throughout: the executable, its process tree, kill -9."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import threading

from tests.conftest import REPO
from tests.delivery_support import hook, notion_env, pages_in, slack_env  # noqa: F401
from tests.support import children, gone, wait_for
from tests.test_forked_senders import EXECUTABLE, executable, notify, rows, statuses

NOTIFY = ["notify-error", "--type", "api_limit", "--service", "Scraper API", "--impact", "blocking", "--json"]


def waiting_on_stdin(cwd) -> subprocess.Popen:
    """notify-error reading its details from stdin: it has forked its warm senders and waits for the test."""
    return subprocess.Popen([sys.executable, "-c", EXECUTABLE, *NOTIFY, "--details", "-"], cwd=cwd,
                            env=dict(os.environ, PYTHONPATH=str(REPO)), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def warm_tree(parent: int) -> tuple[int, int]:
    """(the warm sender, the one it forked for the second library), once both are there."""
    first = wait_for(lambda: children(parent))[0]
    second = wait_for(lambda: children(first))[0]
    return first, second


def test_both_libraries_are_sent_by_the_warm_senders(slack_env, notion_env, hook, tmp_path, isolated_home):
    result, told = notify(tmp_path)
    assert statuses(result) == {"notify_user": "sent", "slack": "sent", "notion": "sent"}
    assert told.endswith("imported: slack_sdk=False notion_client=False")  # both went out from elsewhere
    assert len(slack_env.messages) == 1 and len(pages_in(notion_env, "errors")) == 1
    assert rows(isolated_home) == {"notify_user": ("sent", None), "slack": ("sent", None), "notion": ("sent", None)}
    assert len(hook.calls()) == 1

    # what the senders learned came back to be recorded: the message is edited and the page updated later
    proc = executable("update-error", "--error-id", result["id"], "--status", "resolved", "--solution", "new key",
                      "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(slack_env.calls("chat.update")) == 1 and len(pages_in(notion_env, "errors")) == 1


def test_the_senders_wait_as_a_tree_while_the_command_works(slack_env, notion_env, hook, tmp_path):
    parent = waiting_on_stdin(tmp_path)
    first, second = warm_tree(parent.pid)
    assert "notify-error" in open(f"/proc/{first}/cmdline").read()  # forks of the command, not the hook
    out, err = parent.communicate("Free tier limit reached (1000/1000 requests)", timeout=60)
    assert parent.returncode == 0, err
    assert statuses(json.loads(out)) == {"notify_user": "sent", "slack": "sent", "notion": "sent"}
    wait_for(lambda: gone(first) and gone(second))  # nothing is left running
    assert len(slack_env.messages) == 1 and len(pages_in(notion_env, "errors")) == 1


def test_a_warm_sender_killed_before_it_got_jobs_is_replaced(slack_env, notion_env, hook, tmp_path, isolated_home):
    parent = waiting_on_stdin(tmp_path)
    first, second = warm_tree(parent.pid)
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: gone(first) and gone(second))  # the second dies with the first
    out, err = parent.communicate("limit reached", timeout=60)
    assert parent.returncode == 0, err
    assert statuses(json.loads(out)) == {"notify_user": "sent", "slack": "sent", "notion": "sent"}
    assert len(slack_env.messages) == 1 and len(pages_in(notion_env, "errors")) == 1
    assert set(rows(isolated_home).values()) == {("sent", None)}


def test_killing_the_command_kills_its_warm_senders(slack_env, notion_env, hook, tmp_path, isolated_home):
    parent = waiting_on_stdin(tmp_path)
    first, second = warm_tree(parent.pid)
    parent.send_signal(signal.SIGKILL)
    parent.communicate(timeout=60)
    wait_for(lambda: gone(first) and gone(second))
    assert slack_env.messages == [] and pages_in(notion_env, "errors") == []
    assert not (isolated_home / "ledger.db").exists() or rows(isolated_home) == {}


def test_a_sender_killed_mid_send_is_sent_once_by_the_next_deliver(slack_env, notion_env, hook, tmp_path,
                                                                    isolated_home):
    notion_env.hang_next("pages.create")  # the second warm sender's request never gets an answer
    parent = subprocess.Popen([sys.executable, "-c", EXECUTABLE, *NOTIFY], cwd=tmp_path,
                              env=dict(os.environ, PYTHONPATH=str(REPO)), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    first, second = warm_tree(parent.pid)
    wait_for(lambda: notion_env.calls("pages.create"))
    parent.send_signal(signal.SIGKILL)
    parent.communicate(timeout=60)
    wait_for(lambda: gone(first) and gone(second))
    assert rows(isolated_home)["notion"][0] == "sending"  # claimed by a process that is gone

    proc = subprocess.run([sys.executable, "-m", "opsctl", "deliver", "--json"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(REPO), OPSCTL_NOW="2099-01-01T00:00:00Z"))
    assert proc.returncode == 0, proc.stderr
    assert rows(isolated_home)["notion"] == ("sent", None)
    assert len(pages_in(notion_env, "errors")) == 1


def test_a_duplicate_sends_nothing_and_its_senders_end(slack_env, notion_env, hook, tmp_path):
    notify(tmp_path)
    parent = waiting_on_stdin(tmp_path)
    first, second = warm_tree(parent.pid)
    out, err = parent.communicate("", timeout=60)
    assert parent.returncode == 0, err
    result = json.loads(out)
    assert result["deduplicated"] is True and result["deliveries"] == []
    wait_for(lambda: gone(first) and gone(second))
    assert len(slack_env.messages) == 1 and len(pages_in(notion_env, "errors")) == 1


def test_one_heavy_library_goes_to_the_warm_sender(notion_env, tmp_path):
    parent = waiting_on_stdin(tmp_path)
    first = wait_for(lambda: children(parent.pid))[0]
    out, err = parent.communicate("limit reached", timeout=60)
    assert parent.returncode == 0, err
    assert statuses(json.loads(out)) == {"notion": "sent"}
    assert err.endswith("notion_client=False")
    assert len(pages_in(notion_env, "errors")) == 1
    wait_for(lambda: gone(first))


def test_a_wrong_guess_costs_time_not_a_notification(slack_env, notion_env, hook, tmp_path, isolated_home):
    # both libraries are configured, but this error is routed to Slack only: the Notion sender gets nothing
    (tmp_path / "opsctl.yaml").write_text(
        "routing:\n  rules:\n    - when: {type: api_limit}\n      channels: [slack, notify_user]\n")
    parent = waiting_on_stdin(tmp_path)
    first, second = warm_tree(parent.pid)
    out, err = parent.communicate("limit reached", timeout=60)
    assert parent.returncode == 0, err
    assert statuses(json.loads(out)) == {"notify_user": "sent", "slack": "sent"}
    assert err.endswith("slack_sdk=False notion_client=False")
    wait_for(lambda: gone(first) and gone(second))
    assert len(slack_env.messages) == 1 and pages_in(notion_env, "errors") == []


def test_jobs_that_cannot_be_pickled_are_not_handed_over():
    from opsctl.delivery.warm import Warm

    jobs_read, jobs_write = os.pipe()
    outcomes_read, outcomes_write = os.pipe()
    warm = Warm(os.getpid(), jobs_write, outcomes_read)  # not a child of ours: release() must not wait for it
    assert warm.hand([threading.Lock()], rules=None) is None  # the caller forks a sender of its own instead
    assert os.read(jobs_read, 10) == b""  # nothing written, and the pipe is closed: the child would exit
    for fd in (jobs_read, outcomes_write):
        os.close(fd)


def test_what_is_handed_over_arrives_whole():
    from opsctl.delivery.warm import Warm

    jobs_read, jobs_write = os.pipe()
    outcomes_read, outcomes_write = os.pipe()
    warm = Warm(os.getpid(), jobs_write, outcomes_read)
    jobs = [{"id": n, "payload": "x" * 50_000} for n in range(4)]  # more than a pipe holds at once
    got = []
    reader = threading.Thread(target=lambda: got.append(b"".join(iter(lambda: os.read(jobs_read, 65536), b""))))
    reader.start()
    child = warm.hand(jobs, rules={"budget": 10})
    reader.join(timeout=60)
    assert child is not None and child.jobs == jobs and child.pipe == outcomes_read
    assert pickle.loads(got[0]) == (jobs, {"budget": 10})
    for fd in (jobs_read, outcomes_read, outcomes_write):
        os.close(fd)
