"""Slack and Notion due together: the executable sends one of them from a forked child (delivery/forked.py).

`update-error` takes this path; `notify-error` hands both to senders forked as it starts (test_warm_sender.py)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

from tests.conftest import REPO
from tests.delivery_support import hook, notion_env, pages_in, slack_env  # noqa: F401

# the executable, run the way agents run it, telling on stderr at its very end which clients it imported
EXECUTABLE = """
import atexit, sys
atexit.register(lambda: sys.stderr.write(
    f"\\nimported: slack_sdk={'slack_sdk' in sys.modules} notion_client={'notion_client' in sys.modules}"))
sys.argv = ['opsctl', *sys.argv[1:]]
from opsctl.cli import entry
entry()
"""


def executable(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", EXECUTABLE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, env=dict(os.environ, PYTHONPATH=str(REPO)))


def notify(cwd, *extra: str) -> tuple[dict, str]:
    proc = executable("notify-error", "--type", "api_limit", "--service", "Scraper API", "--impact", "blocking",
                      "--json", *extra, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def statuses(result: dict) -> dict:
    return {d["channel"]: d["status"] for d in result["deliveries"]}


def rows(home) -> dict:
    conn = sqlite3.connect(home / "ledger.db")
    found = {channel: (status, claim) for channel, status, claim in
             conn.execute("SELECT channel, status, claim_token FROM deliveries")}
    conn.close()
    return found


def resolve(cwd, error_id: str) -> tuple[dict, str]:
    proc = executable("update-error", "--error-id", error_id, "--status", "resolved", "--solution", "new key",
                      "--json", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def test_notion_is_sent_by_a_child_while_this_process_sends_slack(slack_env, notion_env, hook, tmp_path,
                                                                  isolated_home):
    first, _ = notify(tmp_path)
    result, told = resolve(tmp_path, first["id"])
    assert statuses(result) == {"notify_user": "sent", "slack": "sent", "notion": "sent"}
    assert told.endswith("imported: slack_sdk=True notion_client=False")  # Notion went out from elsewhere
    assert len(slack_env.calls("chat.update")) == 1
    assert set(rows(isolated_home).values()) == {("sent", None)}

    # the page the child edited is the one notify-error made: no second page
    [page] = pages_in(notion_env, "errors")
    assert notion_env.prop(page["id"], "Status") == "resolved"


def test_a_transient_failure_is_retried_in_the_child(slack_env, notion_env, hook, tmp_path):
    first, _ = notify(tmp_path)
    notion_env.fail_next("pages.update", 503)
    result, told = resolve(tmp_path, first["id"])
    assert statuses(result)["notion"] == "sent"
    assert told.endswith("notion_client=False")
    assert len(notion_env.calls("pages.update")) == 2 and len(pages_in(notion_env, "errors")) == 1


def test_a_permanent_failure_in_the_child_is_recorded_like_any_other(slack_env, notion_env, hook, tmp_path,
                                                                     isolated_home):
    first, _ = notify(tmp_path)
    notion_env.fail_next("pages.update", 400, code="validation_error", message="Status is not a property", times=2)
    result, told = resolve(tmp_path, first["id"])
    assert told.endswith("notion_client=False")
    notion = next(d for d in result["deliveries"] if d["channel"] == "notion")
    assert notion["status"] == "failed" and "Status is not a property" in notion["error"]
    assert statuses(result)["slack"] == "sent"
    conn = sqlite3.connect(isolated_home / "ledger.db")
    assert conn.execute("SELECT status FROM deliveries WHERE channel = 'notion' AND purpose = 'update'"
                        ).fetchone() == ("dead",)
    conn.close()


def test_one_heavy_library_due_is_sent_here(notion_env, tmp_path):
    first, _ = notify(tmp_path)
    result, told = resolve(tmp_path, first["id"])
    assert statuses(result) == {"notion": "sent"}
    assert told.endswith("notion_client=True")  # nothing to import side by side: no child


def test_a_python_caller_never_forks(slack_env, notion_env, hook, monkeypatch):
    import opsctl

    def refuse():
        raise AssertionError("the library forked its caller's process")

    monkeypatch.setattr(os, "fork", refuse)
    result = opsctl.notify_error(type="api_limit", service="Scraper API", impact="blocking")
    assert statuses(result) == {"notify_user": "sent", "slack": "sent", "notion": "sent"}


def test_a_child_dies_with_its_parent_and_the_next_deliver_sends_once(slack_env, notion_env, hook, tmp_path,
                                                                       isolated_home):
    import signal

    from tests.support import children, gone, wait_for

    first, _ = notify(tmp_path)
    notion_env.hang_next("pages.update")  # the child's request never gets an answer
    parent = subprocess.Popen([sys.executable, "-c", EXECUTABLE, "update-error", "--error-id", first["id"],
                               "--status", "resolved", "--solution", "new key", "--json"], cwd=tmp_path,
                              env=dict(os.environ, PYTHONPATH=str(REPO)), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    wait_for(lambda: notion_env.calls("pages.update"))  # the child is mid-send
    [child] = [pid for pid in children(parent.pid) if "opsctl" in open(f"/proc/{pid}/cmdline").read()]
    parent.send_signal(signal.SIGKILL)
    parent.communicate()
    wait_for(lambda: gone(child))
    assert update_row(isolated_home) == "sending"  # claimed by a process that is gone

    later = "2099-01-01T00:00:00Z"  # past every backoff
    proc = subprocess.run([sys.executable, "-m", "opsctl", "deliver", "--json"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env=dict(os.environ, PYTHONPATH=str(REPO), OPSCTL_NOW=later))
    assert proc.returncode == 0, proc.stderr
    assert update_row(isolated_home) == "sent"
    # taken over and sent once; the dead child sent nothing more
    assert len(notion_env.calls("pages.update")) == 2 and len(pages_in(notion_env, "errors")) == 1


def update_row(home) -> str:
    conn = sqlite3.connect(home / "ledger.db")
    [(status,)] = conn.execute("SELECT status FROM deliveries WHERE channel = 'notion' AND purpose = 'update'")
    conn.close()
    return status
