"""50 real processes reporting the same problem at the same moment: one error, occurrences 50."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO
import pytest

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


def _spawn(args, env):
    return subprocess.Popen([sys.executable, "-m", "opsctl", *args, "--json"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _start_together(count, make_args, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs = [_spawn(make_args(i), env) for i in range(count)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        assert "database is locked" not in err
        results.append(json.loads(out))
    return results


def test_fifty_processes_same_fingerprint_yield_one_error(tmp_path):
    args = ["notify-error", "--type", "api_limit", "--service", "Scraper API", "--project", "AU",
            "--details", "limit", "--impact", "blocking", "--options", "New key", "Upgrade"]
    results = _start_together(50, lambda i: args, tmp_path)
    assert {r["id"] for r in results} == {"error-1"}
    assert sum(1 for r in results if not r["deduplicated"]) == 1
    assert sorted(r["occurrences"] for r in results) == list(range(1, 51))
    from opsctl import list_errors

    [error] = list_errors()["errors"]
    assert error["occurrences"] == 50 and error["status"] == "escalated"


def test_fifty_processes_distinct_errors_all_recorded(tmp_path):
    results = _start_together(
        50, lambda i: ["track-error", "--error-type", "system_error", "--service", f"job-{i}"], tmp_path)
    assert len({r["id"] for r in results}) == 50
    from opsctl import list_errors

    assert list_errors(limit=0)["count"] == 50
