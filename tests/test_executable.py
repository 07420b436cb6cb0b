"""The executable: it ends without the interpreter's teardown and loses nothing doing so (opsctl/cli/leave.py),
and leaves out what it never uses."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading

import pytest

from tests.conftest import REPO
from tests.delivery_support import notion_env  # noqa: F401


def python(code: str, cwd, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(REPO), **env))


def test_a_command_leaves_the_ledger_checkpointed_and_closed(cli, isolated_home):
    for n in range(3):
        assert cli("track-error", "--error-type", "api_limit", "--service", f"svc-{n}").returncode == 0
    ledger = isolated_home / "ledger.db"
    # the last connection closed: SQLite moved the WAL into the file and removed it
    assert not (isolated_home / "ledger.db-wal").exists()
    assert not (isolated_home / "ledger.db-shm").exists()
    conn = sqlite3.connect(ledger)
    assert conn.execute("SELECT COUNT(*) FROM errors").fetchone()[0] == 3
    conn.close()


def test_long_output_through_a_pipe_arrives_whole(cli):
    for n in range(40):
        cli("track-error", "--error-type", "api_limit", "--service", f"svc-{n}", "--details", "x" * 3000)
    proc = cli("errors", "list", "--json", "--limit", "0")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["errors"]) == 40  # ~130 KB: more than any pipe buffer


def test_exit_codes_survive(cli):
    assert cli("errors", "show", "error-999").returncode == 2  # not found
    assert cli("run", "job", "--", "sh", "-c", "exit 5").returncode == 5  # the job's own code
    assert cli("track-error", "--error-type", "api_limit", "--service", "s").returncode == 0


def test_exit_handlers_run_and_streams_flush_before_the_end(tmp_path):
    done = tmp_path / "handler-ran"
    proc = python(
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(done)!r}, 'w').write('yes'))\n"
        "sys.stdout.write('buffered, no newline')\n"
        "sys.stderr.write('to stderr')\n"
        "from opsctl.cli.leave import leave\n"
        "leave(7)\n"
        "print('never reached')\n", tmp_path)
    assert proc.returncode == 7
    assert proc.stdout == "buffered, no newline"
    assert proc.stderr == "to stderr"
    assert done.read_text() == "yes"


def test_open_ledger_connections_are_closed(tmp_path):
    ledger = tmp_path / "kept-open.db"
    proc = python(
        "from opsctl.ledger import connect, transaction\n"
        f"conn = connect({str(ledger)!r})\n"
        "with transaction(conn):\n"
        "    conn.execute(\"INSERT INTO kv (key, value) VALUES ('left', 'open')\")\n"
        "keep = conn  # still referenced when the process ends\n"
        "from opsctl.cli.leave import leave\n"
        "leave(0)\n", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not ledger.with_name(ledger.name + "-wal").exists()  # closed: checkpointed and removed
    assert sqlite3.connect(ledger).execute("SELECT value FROM kv WHERE key = 'left'").fetchone()[0] == "open"


def test_a_working_thread_gets_the_ordinary_ending():
    from opsctl.cli.leave import leave

    release = threading.Event()
    worker = threading.Thread(target=release.wait)  # not a daemon: Python must wait for it
    worker.start()
    try:
        with pytest.raises(SystemExit) as ended:
            leave(4)  # would have called os._exit (and ended this test run) otherwise
        assert ended.value.code == 4
    finally:
        release.set()
        worker.join()


def test_a_notion_notice_from_the_executable_leaves_out_httpx_command_line(notion_env, tmp_path):
    proc = python(
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write(f'httpx cli loaded: {sys.modules.get(\"httpx._main\") is not None}'))\n"
        "sys.argv = ['opsctl', 'notify-error', '--type', 'api_limit', '--service', 'Scraper API', '--json']\n"
        "from opsctl.cli import entry\n"
        "entry()\n", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [(d["channel"], d["status"]) for d in json.loads(proc.stdout)["deliveries"]] == [("notion", "sent")]
    assert proc.stderr.endswith("httpx cli loaded: False")
