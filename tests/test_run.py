"""`opsctl run` with real processes: lock, timeout, run log, alerts through notify_error, recovery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import REPO
from tests.support import wait_for
import pytest

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL

PY = sys.executable


def py(code: str) -> list[str]:
    return [PY, "-c", textwrap.dedent(code)]



def log_lines(home: Path) -> list[dict]:
    path = home / "logs" / "runs.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def errors(cli) -> list[dict]:
    return cli.json("errors", "list", "--status", "all")["errors"]


def popen_run(cli, *args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([PY, "-m", "opsctl", "run", *args], cwd=cli.cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop(proc: subprocess.Popen) -> None:
    """TERM to opsctl is forwarded to its job: both end."""
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)


def test_success_is_silent_and_logs_one_json_line_with_metrics(cli, isolated_home):
    proc = cli("run", "parse", "--", *py("""
        print("working")
        print('{"rows_processed": 100, "rows_invalid": 3, "pct_invalid": 0.03}')
    """))
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[0] == "working"  # the job's own output passes through
    assert proc.stderr == ""  # opsctl adds nothing on success
    [line] = log_lines(isolated_home)
    assert list(line)[:5] == ["timestamp", "job_name", "status", "duration_seconds", "exit_code"]
    assert line["job_name"] == "parse" and line["status"] == "SUCCESS" and line["exit_code"] == 0
    assert line["rows_processed"] == 100 and line["pct_invalid"] == 0.03
    assert isinstance(line["duration_seconds"], float) and line["timestamp"].endswith("Z")
    assert errors(cli) == []


def test_metrics_file_and_custom_log_path(cli, tmp_path):
    log = tmp_path / "elsewhere" / "runs.jsonl"
    proc = cli("run", "m", "--", *py("""
        import json, os
        json.dump({"rows_processed": 7}, open(os.environ["OPSCTL_METRICS"], "w"))
    """), env={"OPSCTL_RUN_LOG": str(log)})
    assert proc.returncode == 0, proc.stderr
    [line] = [json.loads(x) for x in log.read_text().splitlines()]
    assert line["rows_processed"] == 7


def test_failure_raises_error_and_next_success_resolves_it(cli, isolated_home):
    proc = cli("run", "nightly", "--", *py("""
        import sys
        print("loading rows", flush=True)
        print("boom: api_key=abc123secret", file=sys.stderr)
        sys.exit(3)
    """))
    assert proc.returncode == 3
    assert "opsctl: nightly failed: exited with code 3" in proc.stderr
    [error] = errors(cli)
    assert (error["type"], error["service"], error["impact"], error["status"]) == (
        "system_error", "nightly", "blocking", "escalated")
    shown = cli.json("errors", "show", error["id"])
    assert "loading rows" in shown["details"] and "exited with code 3" in shown["details"]
    assert "abc123secret" not in shown["details"] and "abc123secret" not in proc.stderr.split("boom")[0]
    assert shown["options"]  # options, not just problems

    again = cli("run", "nightly", "--", *py("import sys; sys.exit(3)"))
    assert again.returncode == 3
    assert errors(cli)[0]["occurrences"] == 2  # dedup: one error, counted

    ok = cli("run", "nightly", "--", PY, "-c", "pass")
    assert ok.returncode == 0 and ok.stderr == ""
    resolved = cli.json("errors", "show", error["id"])
    assert resolved["status"] == "resolved" and resolved["solution"].startswith("next run succeeded")
    statuses = [line["status"] for line in log_lines(isolated_home)]
    assert statuses == ["ERROR", "ERROR", "SUCCESS"]
    assert log_lines(isolated_home)[0]["error_id"] == error["id"]


def test_hung_job_is_killed_at_timeout_with_124_and_alerts(cli, tmp_path, isolated_home):
    (tmp_path / "opsctl.yaml").write_text(textwrap.dedent("""
        rules:
          - {name: job-timeout, when: "exit_code == 124", severity: CRITICAL, message: "Job {job} timed out"}
    """))
    pid_file = tmp_path / "job.pid"
    # sh writes its pid within milliseconds, so even a loaded machine records it well inside the 0.5 s
    proc = cli("run", "hang", "--timeout", "0.5", "--", "sh", "-c", f'echo $$ > "{pid_file}"; exec sleep 120')
    assert proc.returncode == 124
    assert "killed: timed out after 0.5s" in proc.stderr
    pid = int(pid_file.read_text())
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:3]
    [line] = log_lines(isolated_home)
    assert (line["status"], line["exit_code"], line["alerts"]) == ("TIMEOUT", 124, ["job-timeout"])
    [error] = errors(cli)
    assert error["impact"] == "blocking"
    assert "Job hang timed out" in cli.json("errors", "show", error["id"])["details"]


def test_overlap_is_skipped_with_75_and_recorded(cli, tmp_path, isolated_home):
    ready = tmp_path / "ready"
    first = popen_run(cli, "sync", "--", *py(f"""
        import time
        open({str(ready)!r}, "w").close()
        time.sleep(60)
    """))
    try:
        wait_for(ready.exists)
        second = cli("run", "sync", "--", PY, "-c", "print('must not run')")
        assert second.returncode == 75
        assert "must not run" not in second.stdout
        assert "skipped: the previous run" in second.stderr
        second_json = cli("run", "sync", "--json", "--", PY, "-c", "pass")
        assert second_json.returncode == 75
        outcome = json.loads(second_json.stdout)
        assert outcome["status"] == "SKIPPED" and outcome["held_by"]["pid"] == first.pid
    finally:
        stop(first)
    runs = cli.json("jobs", "show", "sync")["runs"]
    assert [r["status"] for r in runs] == ["SKIPPED", "SKIPPED", "ERROR"]  # newest first; TERM stopped the first
    assert all(r["exit_code"] == 75 for r in runs if r["status"] == "SKIPPED")
    assert [x["status"] for x in log_lines(isolated_home)].count("SKIPPED") == 2
    assert cli("run", "sync", "--", PY, "-c", "pass").returncode == 0  # the lock is free again


def test_no_lock_allows_overlap(cli, tmp_path):
    ready = tmp_path / "ready"
    first = popen_run(cli, "free", "--", *py(f"open({str(ready)!r}, 'w').close(); import time; time.sleep(60)"))
    try:
        wait_for(ready.exists)
        assert cli("run", "free", "--no-lock", "--", PY, "-c", "pass").returncode == 0
    finally:
        stop(first)


def test_stale_lock_of_dead_run_is_taken_over_and_logged(cli, tmp_path, isolated_home):
    ready = tmp_path / "ready"
    first = popen_run(cli, "crashy", "--", *py(f"""
        import os, time
        open({str(ready)!r}, "w").write(str(os.getpid()))
        time.sleep(60)
    """))
    job_pid = int(wait_for(lambda: ready.exists() and ready.read_text()))
    os.kill(first.pid, signal.SIGKILL)  # opsctl dies (kill -9)...
    first.communicate()
    # ...and its job dies with it (PR_SET_PDEATHSIG): nothing runs on past its timeout, unsupervised
    wait_for(lambda: not Path(f"/proc/{job_pid}").exists() or "Z" in Path(f"/proc/{job_pid}/stat").read_text())
    proc = cli("run", "crashy", "--json", "--", PY, "-c", "pass")
    assert proc.returncode == 0, proc.stderr
    outcome = json.loads(proc.stdout)
    assert outcome["took_over_from"]["pid"] == first.pid
    from tests.ledger_support import query

    [row] = query("SELECT action, data FROM events WHERE subject = 'run'")
    action, data = row["action"], row["data"]
    assert action == "lock_taken_over" and json.loads(data)["pid"] == first.pid
    # the lost run is recorded too (its "started" marker outlived its supervisor)
    runs = query("SELECT status, message FROM runs WHERE job = 'crashy' ORDER BY id")
    assert runs[0]["status"] == "ERROR" and "lost" in runs[0]["message"] and str(first.pid) in runs[0]["message"]
    assert runs[-1]["status"] == "SUCCESS"


def test_lock_held_past_max_age_raises_hung_error(cli, tmp_path):
    ready = tmp_path / "ready"
    first = popen_run(cli, "stuck", "--timeout", "0", "--", *py(f"""
        import time
        open({str(ready)!r}, "w").close()
        time.sleep(60)
    """))
    try:
        wait_for(ready.exists)
        later = {"OPSCTL_NOW": "2099-01-01T00:00:00Z"}  # the held lock is now decades old
        proc = cli("run", "stuck", "--max-lock-age", "1h", "--", PY, "-c", "pass", env=later)
        assert proc.returncode == 75
        [error] = errors(cli)
        assert error["service"] == "stuck" and "looks hung" in error["details"]
    finally:
        stop(first)


def test_metrics_rule_raises_warning_and_resolves_when_it_stops_matching(cli, tmp_path):
    (tmp_path / "opsctl.yaml").write_text(textwrap.dedent("""
        rules:
          - name: invalid-rows
            when: "job == 'parse_reservations' && pct_invalid > 0.05"
            severity: WARNING
            message: "{pct_invalid:.1%} invalid rows"
    """))
    bad = cli("run", "parse_reservations", "--", PY, "-c", "print('{\"pct_invalid\": 0.12}')")
    assert bad.returncode == 0
    [error] = errors(cli)
    assert (error["service"], error["impact"], error["type"]) == ("parse_reservations/invalid-rows", "warning",
                                                                  "system_error")
    assert error["details"] == "12.0% invalid rows"
    other = cli("run", "other_job", "--", PY, "-c", "print('{\"pct_invalid\": 0.5}')")
    assert other.returncode == 0 and len(errors(cli)) == 1  # the rule names its job
    good = cli("run", "parse_reservations", "--", PY, "-c", "print('{\"pct_invalid\": 0.01}')")
    assert good.returncode == 0
    assert cli.json("errors", "show", error["id"])["status"] == "resolved"


def test_command_not_found_is_a_clear_127(cli):
    proc = cli("run", "typo", "--", "/nonexistent/job.sh")
    assert proc.returncode == 127
    assert "command not found: /nonexistent/job.sh" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert errors(cli)[0]["service"] == "typo"


def test_rule_with_syntax_error_is_rejected_naming_the_rule(cli, tmp_path):
    (tmp_path / "opsctl.yaml").write_text(textwrap.dedent("""
        rules:
          - {name: broken-rule, when: "exit_code == = 1", severity: WARNING}
    """))
    marker = tmp_path / "ran"
    proc = cli("run", "j", "--", PY, "-c", f"open({str(marker)!r}, 'w')")
    assert proc.returncode == 1
    assert "broken-rule" in proc.stderr and "invalid expression" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not marker.exists()  # refused before running
    [error] = errors(cli)
    assert error["service"] == "opsctl config" and "broken-rule" in error["details"]


def test_json_mode_prints_one_object_and_moves_job_stdout_to_stderr(cli):
    proc = cli("run", "j", "--json", "--", PY, "-c", "print('job says hi')")
    assert proc.returncode == 0
    outcome = json.loads(proc.stdout)
    assert proc.stdout.count("\n") == 1
    assert "job says hi" in proc.stderr
    assert outcome["status"] == "SUCCESS" and outcome["run_id"] == 1


def test_help_and_usage_errors_go_through_typer(cli):
    help_ = cli("run", "--help")
    assert help_.returncode == 0 and "--max-lock-age" in help_.stdout
    assert cli("run", "j", "--bogus", "--", "true").returncode == 2
    no_command = cli("run", "j")
    assert no_command.returncode == 2 and "no command given" in no_command.stderr
    assert cli("run", "bad name!", "--", "true").returncode == 2


def test_config_timeout_and_cli_override(cli, tmp_path, isolated_home):
    (tmp_path / "opsctl.yaml").write_text("jobs:\n  slow: {timeout: 0.3s}\n")
    assert cli("run", "slow", "--", PY, "-c", "import time; time.sleep(30)").returncode == 124
    assert cli("run", "slow", "--timeout", "30", "--", PY, "-c", "import time; time.sleep(0.5)").returncode == 0
    (tmp_path / "opsctl.yaml").write_text("jobs:\n  slow: {timeout: soon}\n")
    broken = cli("run", "slow", "--", "true")
    assert broken.returncode == 1 and "jobs.slow" in broken.stderr


def test_in_process_json(run_cli):
    code, out, err = run_cli("run", "inproc", "--json", "--", PY, "-c", "print('to stderr')")
    assert code == 0 and json.loads(out)["status"] == "SUCCESS"
    assert "to stderr" in err
