"""opsctl.jobs with real processes: supervisor, lock, rules, schedule, run log."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from opsctl import clock
from opsctl.errors import InvalidInput
from opsctl.jobs import lock, rules, runlog, schedule, supervise
from tests.support import wait_for

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def py(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]



def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state == "Z"  # zombie waiting for a non-reaping init: dead all the same


def run(args, **kw):
    kw.setdefault("stdout", io.BytesIO())
    kw.setdefault("stderr", io.BytesIO())
    return supervise.run("job", args, **kw)


class AckSink(io.BytesIO):
    """Records passthrough and drops one ack file per line, so a job can wait for it."""

    def __init__(self, acks: Path):
        super().__init__()
        self.acks = acks

    def write(self, data):
        for _ in range(bytes(data).count(b"\n")):
            (self.acks / f"{time.monotonic_ns()}-{id(self)}").touch()
        return super().write(data)


# --- supervise -------------------------------------------------------------


def test_passthrough_is_live_and_tail_keeps_arrival_order(tmp_path):
    acks = tmp_path / "acks"
    acks.mkdir()
    job = f"""
        import os, sys, time
        def say(stream, text, n):
            stream.write(text + "\\n"); stream.flush()
            while len(os.listdir({str(acks)!r})) < n:  # passthrough must arrive before we exit
                time.sleep(0.01)
        say(sys.stdout, "out 1", 1); say(sys.stderr, "err 1", 2); say(sys.stdout, "out 2", 3)
    """
    out, err = AckSink(acks), AckSink(acks)
    result = run(py(job), stdout=out, stderr=err, timeout=20)
    assert result.status == "SUCCESS" and result.exit_code == 0, result
    assert out.getvalue() == b"out 1\nout 2\n"
    assert err.getvalue() == b"err 1\n"
    assert result.tail == "out 1\nerr 1\nout 2"


def test_tail_is_bounded_to_last_lines():
    result = run(py("for i in range(200): print(i)"), tail_lines=5)
    assert result.tail == "195\n196\n197\n198\n199"
    big = run(py("for i in range(100): print('x' * 200)"), tail_bytes=1000)
    assert 0 < len(big.tail.encode()) <= 1000


def test_default_passthrough_goes_to_our_stdout(capfd):
    result = supervise.run("job", py("import sys; print('hello'); print('oops', file=sys.stderr)"))
    captured = capfd.readouterr()
    assert "hello" in captured.out and "oops" in captured.err
    assert sorted(result.tail.splitlines()) == ["hello", "oops"]  # two pipes: order between them may vary


def test_secret_printed_by_job_is_scrubbed_in_tail():
    job = "print('connecting with password=hunter2 token ghp_abcdefghijklmnopqrstuvwxyz0123')"
    result = run(py(job))
    assert "hunter2" not in result.tail and "ghp_" not in result.tail
    assert "[REDACTED]" in result.tail


def test_metrics_from_last_stdout_line():
    job = """
        import json
        print("processing")
        print(json.dumps({"rows_processed": 1000, "pct_invalid": 0.02}))
    """
    assert run(py(job)).metrics == {"rows_processed": 1000, "pct_invalid": 0.02}


def test_metrics_from_file_merge_with_last_line_and_file_wins():
    job = """
        import json, os
        with open(os.environ["OPSCTL_METRICS"], "w") as f:
            json.dump({"rows_processed": 7, "path": os.environ["OPSCTL_METRICS"]}, f)
        print(json.dumps({"rows_processed": 1, "pct_invalid": 0.5}))
    """
    result = run(py(job))
    path = result.metrics.pop("path")
    assert result.metrics == {"rows_processed": 7, "pct_invalid": 0.5}
    assert not Path(path).exists()  # the temp file is cleaned up


def test_bad_metrics_file_is_reported_not_fatal():
    job = "import os; open(os.environ['OPSCTL_METRICS'], 'w').write('[1, 2')"
    result = run(py(job))
    assert result.status == "SUCCESS" and result.metrics == {}
    assert "OPSCTL_METRICS" in result.message


def test_nonzero_exit_is_error():
    result = run(py("import sys; sys.exit(3)"))
    assert (result.status, result.exit_code, result.message) == ("ERROR", 3, "exited with code 3")


def test_timeout_kills_whole_process_group(tmp_path):
    pidfile = tmp_path / "grandchild.pid"
    job = f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        open({str(pidfile)!r}, "w").write(str(child.pid))
        time.sleep(60)
    """
    result = run(py(job), timeout=0.5, grace=2)
    assert (result.status, result.exit_code) == ("TIMEOUT", 124)  # cut short: the job sleeps 60 s
    assert "timed out after 0.5s" in result.message
    assert wait_for(lambda: gone(int(pidfile.read_text())))


def test_job_ignoring_sigterm_is_killed_after_grace(tmp_path):
    job = """
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ignoring TERM", flush=True)
        time.sleep(60)
    """
    result = run(py(job), timeout=0.3, grace=0.5)
    assert (result.status, result.exit_code) == ("TIMEOUT", 124)
    assert result.duration_seconds >= 0.8  # TERM ignored: KILL came only after the grace


def test_leftover_background_process_is_swept_after_normal_exit(tmp_path):
    pidfile, finished = tmp_path / "bg.pid", tmp_path / "bg.finished"
    job = f"""
        import subprocess, sys
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60); open({str(finished)!r}, 'w')"])
        open({str(pidfile)!r}, "w").write(str(child.pid))
    """
    result = run(py(job), grace=2)
    assert result.status == "SUCCESS"
    assert wait_for(lambda: gone(int(pidfile.read_text())))
    assert not finished.exists()  # swept, not waited for


def test_signal_to_supervisor_is_forwarded_to_job(tmp_path):
    ready, got = tmp_path / "ready", tmp_path / "got"
    job = f"""
        import signal, sys, time
        def stop(signum, frame):
            open({str(got)!r}, "w").write(str(signum)); sys.exit(3)
        signal.signal(signal.SIGTERM, stop)
        open({str(ready)!r}, "w").close()
        time.sleep(60)
    """
    supervisor = f"""
        import json, signal, sys
        from opsctl.jobs import supervise
        before = signal.getsignal(signal.SIGTERM)
        r = supervise.run("fwd", {py(job)!r}, grace=5)
        print(json.dumps({{"status": r.status, "exit_code": r.exit_code, "message": r.message,
                          "restored": signal.getsignal(signal.SIGTERM) is before}}))
    """
    proc = subprocess.Popen(py(supervisor), env=ENV, stdout=subprocess.PIPE, text=True)
    try:
        wait_for(ready.exists)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert got.read_text() == str(int(signal.SIGTERM))
    report = json.loads(out.strip().splitlines()[-1])
    assert report["status"] == "ERROR" and report["exit_code"] == 3 and report["restored"]
    assert "SIGTERM" in report["message"]


def test_handlers_restored_in_process():
    before = {s: signal.getsignal(s) for s in supervise.FORWARDED}
    run(py("pass"))
    assert {s: signal.getsignal(s) for s in supervise.FORWARDED} == before


def test_command_not_found_and_not_executable(tmp_path):
    missing = run(["/nonexistent/opsctl-test-command"])
    assert (missing.status, missing.exit_code) == ("ERROR", 127)
    assert "command not found: /nonexistent/opsctl-test-command" == missing.message
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    denied = run([str(script)])
    assert (denied.status, denied.exit_code) == ("ERROR", 126)
    assert "permission denied" in denied.message
    with pytest.raises(InvalidInput):
        run([])


# --- lock ------------------------------------------------------------------

HOLDER = """
    import sys
    from opsctl.jobs import lock
    held = lock.acquire("nightly", sys.argv[1])
    print("acquired" if held.acquired else "busy", flush=True)
    sys.stdin.read()
    held.release()
"""


def start_holder(folder: Path) -> subprocess.Popen:
    proc = subprocess.Popen(py(HOLDER) + [str(folder)], env=ENV, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "acquired"
    return proc


def test_lock_contention_between_processes(tmp_path):
    holder = start_holder(tmp_path)
    try:
        busy = lock.acquire("nightly", tmp_path)
        assert not busy.acquired and isinstance(busy, lock.Busy)
        assert busy.held_by["pid"] == holder.pid and busy.holder_alive is True
        assert not busy.too_old
        with clock.freeze(clock.now() + timedelta(hours=2)):
            hung = lock.acquire("nightly", tmp_path, max_age=timedelta(hours=1))
        assert hung.too_old and hung.age_seconds >= 7200
    finally:
        holder.communicate("", timeout=10)  # clean release
    with lock.acquire("nightly", tmp_path) as held:
        assert held.acquired and held.took_over_from is None
        assert json.loads(held.path.read_text())["pid"] == os.getpid()
    assert held.path.read_text() == ""


def test_stale_lock_after_kill_9_is_taken_over(tmp_path):
    holder = start_holder(tmp_path)
    holder.kill()
    holder.wait()
    held = lock.acquire("nightly", tmp_path)
    try:
        assert held.acquired and held.took_over_from["pid"] == holder.pid
    finally:
        held.release()


def test_job_dies_with_its_killed_supervisor_and_the_lock_is_taken_over(tmp_path):
    """kill -9 of the supervisor kills the job too (PR_SET_PDEATHSIG): nothing runs on unsupervised."""
    pidfile = tmp_path / "job.pid"
    job = f"import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    supervisor = f"""
        from opsctl.jobs import lock, supervise
        held = lock.acquire("nightly", {str(tmp_path)!r})
        supervise.run("nightly", {py(job)!r}, keep_fds=[held.fd])
    """
    proc = subprocess.Popen(py(supervisor), env=ENV)
    job_pid = int(wait_for(lambda: pidfile.exists() and pidfile.read_text()))
    proc.kill()
    proc.wait()
    try:
        wait_for(lambda: gone(job_pid))
    finally:
        if not gone(job_pid):
            os.kill(job_pid, signal.SIGKILL)
    held = wait_for(lambda: (r := lock.acquire("nightly", tmp_path)).acquired and r)
    assert held.took_over_from["pid"] == proc.pid
    held.release()


@pytest.mark.parametrize("name", ["", "a/b", "x" * 65, "with space", "é"])
def test_job_name_rule(tmp_path, name):
    with pytest.raises(InvalidInput, match=r"\[A-Za-z0-9_\.-\]\{1,64\}"):
        lock.acquire(name, tmp_path)


# --- rules -----------------------------------------------------------------

RUNBOOK = [
    {"name": "timeout", "when": "exit_code == 124", "severity": "CRITICAL",
     "message": "Job {job} timed out after {duration_seconds}s"},
    {"name": "invalid_rows", "when": "job == 'parse_reservations' && pct_invalid > 0.05",
     "severity": "WARNING", "message": "{job}: {pct_invalid:.0%} invalid rows, {missing} kept"},
]


def test_rules_match_and_render():
    loaded = rules.load_rules(RUNBOOK)
    timed_out = {"job": "nightly", "status": "TIMEOUT", "exit_code": 124, "duration_seconds": 300}
    assert rules.evaluate(loaded, timed_out) == [
        rules.Alert("timeout", "CRITICAL", "blocking", "Job nightly timed out after 300s")]
    bad_rows = {"job": "parse_reservations", "status": "SUCCESS", "exit_code": 0,
                "duration_seconds": 1.5, "pct_invalid": 0.08}
    [alert] = rules.evaluate(loaded, bad_rows)
    assert (alert.impact, alert.message) == ("warning", "parse_reservations: 8% invalid rows, {missing} kept")


def test_rules_from_run_result_facts():
    result = run(py("print('{\"pct_invalid\": 0.2}')"))
    facts = {**result.facts(), "job": "parse_reservations"}
    assert [a.rule for a in rules.evaluate(rules.load_rules(RUNBOOK), facts)] == ["invalid_rows"]


def test_unknown_name_at_evaluation_is_no_match():
    loaded = rules.load_rules(RUNBOOK)
    facts = {"job": "parse_reservations", "status": "SUCCESS", "exit_code": 0, "duration_seconds": 1}
    assert rules.evaluate(loaded, facts) == []  # pct_invalid was never reported
    odd = rules.load_rules([{"name": "t", "when": "pct_invalid > 0.1", "severity": "INFO"}])
    assert rules.evaluate(odd, {"pct_invalid": "n/a"}) == []  # type error: no match either


def test_aliases_and_string_literals():
    [rule] = rules.load_rules([{"name": "a", "when": "msg == 'a && b' || exit_code != 0", "severity": "info"}])
    assert rule.matches({"msg": "a && b", "exit_code": 0})
    assert not rule.matches({"msg": "x", "exit_code": 0})
    assert rule.impact == "info"


@pytest.mark.parametrize("when, reason", [
    ("exit_code ==", "invalid syntax"),
    ("x = 1", "invalid syntax"),
    ("lambda: 1", "Lambda is not allowed"),
    ("job.__class__", "Attribute is not allowed"),
    ("open('f')", "only calls to"),
    ("[x for x in y]", "ListComp is not allowed"),
])
def test_rule_syntax_errors_at_load_name_the_rule(when, reason):
    with pytest.raises(InvalidInput) as caught:
        rules.load_rules([{"name": "ok", "when": "exit_code == 1", "severity": "INFO"},
                          {"name": "broken", "when": when, "severity": "CRITICAL", "message": "m"}])
    assert caught.value.message.startswith(f"rule 'broken': invalid expression {when!r}: ")
    assert reason in caught.value.message


def test_rule_config_errors():
    with pytest.raises(InvalidInput, match="rule 'x': invalid severity 'LOUD'"):
        rules.load_rules([{"name": "x", "when": "1", "severity": "LOUD"}])
    with pytest.raises(InvalidInput, match="rule 'x': unknown keys serverity"):
        rules.load_rules([{"name": "x", "when": "1", "serverity": "INFO"}])
    with pytest.raises(InvalidInput, match="rule 'x': defined twice"):
        rules.load_rules([{"name": "x", "when": "1", "severity": "INFO"}] * 2)
    with pytest.raises(InvalidInput, match="rule #1: 'name' is required"):
        rules.load_rules([{"when": "1", "severity": "INFO"}])


# --- schedule --------------------------------------------------------------

UTC = timezone.utc


def at(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2024, 5, day, hour, minute, tzinfo=UTC)


def test_not_late_when_succeeded_since_due():
    result = schedule.lateness("0 * * * *", at(10, 2), now=at(10, 30), grace=timedelta(minutes=10))
    assert not result.late and result.due == at(10) and result.next_expected == at(11)
    assert result.overdue_seconds == 0


def test_late_after_grace_without_success():
    result = schedule.lateness("0 * * * *", at(9, 1), now=at(10, 30), grace=600)
    assert result.late and result.due == at(10) and result.deadline == at(10, 10)
    assert result.overdue_seconds == 20 * 60


def test_within_grace_is_not_late_but_a_missed_earlier_slot_is():
    on_time = schedule.lateness("0 * * * *", at(9, 1), now=at(10, 5), grace=600)
    assert not on_time.late and on_time.due == at(9)
    missed = schedule.lateness("0 * * * *", at(8, 1), now=at(10, 5), grace=600)
    assert missed.late and missed.due == at(9)


def test_never_succeeded_is_late_and_timezone_applies():
    result = schedule.lateness("0 2 * * *", None, now=at(12), tz="Europe/Paris")
    assert result.late and result.due == at(0)  # 02:00 Paris (CEST) is 00:00 UTC
    assert result.next_expected == at(0, day=2)


@pytest.mark.parametrize("bad", ["61 * * * *", "every hour", ""])
def test_invalid_cron_names_the_expression(bad):
    with pytest.raises(InvalidInput, match=re.escape(f"invalid cron expression {bad!r}")):
        schedule.lateness(bad, None, now=at(12))


# --- runlog ----------------------------------------------------------------


def test_runlog_fields_and_metrics(tmp_path):
    log = tmp_path / "logs" / "runs.jsonl"
    with clock.freeze("2024-05-01T10:00:00Z"):
        result = run(py("print('{\"rows_processed\": 5, \"status\": \"meh\"}')"))
        runlog.append(log, runlog.from_result(result))
        runlog.append(log, runlog.entry("nightly", "SKIPPED", 0, 75))
    first, skipped = runlog.read(log)
    assert list(first)[:5] == list(runlog.CORE)
    assert first["timestamp"] == "2024-05-01T10:00:00.000000Z"
    assert (first["status"], first["rows_processed"], first["metric_status"]) == ("SUCCESS", 5, "meh")
    assert (skipped["job_name"], skipped["status"], skipped["exit_code"]) == ("nightly", "SKIPPED", 75)
    with pytest.raises(InvalidInput):
        runlog.entry("x", "DONE", 0, 0)


def test_runlog_concurrent_appenders(tmp_path):
    log = tmp_path / "runs.jsonl"
    writer = f"""
        import sys
        from opsctl.jobs import runlog
        for i in range(100):
            runlog.append({str(log)!r}, runlog.entry(sys.argv[1], "SUCCESS", i, 0, {{"pad": "x" * 5000}}))
    """
    procs = [subprocess.Popen(py(writer) + [f"w{n}"], env=ENV) for n in range(6)]
    assert all(p.wait(timeout=60) == 0 for p in procs)
    lines = log.read_text().splitlines()
    assert len(lines) == 600 and all(json.loads(line)["pad"] == "x" * 5000 for line in lines)
