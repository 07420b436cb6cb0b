"""Output that fits its reader: tsv/csv/json/table, --json anywhere, --version, completion, pager,
relative times, and the Python list_* functions returning what --json prints."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import pytest

import opsctl
from opsctl import notify_error
from tests.conftest import REPO


@pytest.fixture
def two_errors():
    notify_error("api_limit", "Scraper API", "1000/1000", "blocking", ["New key"], project="AU Real Estate Research")
    notify_error("system_error", "Cron box", "disk full", "warning")


def test_piped_tables_are_tab_separated_with_a_header(two_errors, run_cli):
    code, out, _ = run_cli("errors", "list")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "id\tstatus\timpact\ttype\tservice\tproject\tseen\tlast seen"
    rows = [line.split("\t") for line in lines[1:]]
    assert [r[0] for r in rows] == ["error-2", "error-1"] and rows[1][5] == "AU Real Estate Research"
    assert rows[1][1] == "escalated"  # no Rich markup left in a cell
    assert all(len(r) == 8 for r in rows)  # one line per row: never wrapped


def test_format_csv_json_and_table(two_errors, run_cli):
    code, out, _ = run_cli("errors", "list", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("id,status,impact") and "AU Real Estate Research" in out
    code, out, _ = run_cli("errors", "list", "--format", "json")
    assert code == 0 and json.loads(out)["count"] == 2
    code, out, _ = run_cli("errors", "list", "--format=table")
    assert code == 0 and "Errors" in out and "┃" in out
    code, out, err = run_cli("errors", "list", "--format", "xml")
    assert code == 2 and "valid: table, tsv, csv, json" in err and out == ""


def test_json_before_or_after_the_command(two_errors, run_cli):
    for args in (["--json", "errors", "list"], ["errors", "--json", "list"], ["errors", "list", "--json"]):
        code, out, _ = run_cli(*args)
        assert code == 0 and [e["id"] for e in json.loads(out)["errors"]] == ["error-2", "error-1"]


def test_empty_table_message_goes_to_stderr_when_piped(run_cli):
    code, out, err = run_cli("outbox", "list", "--status", "dead")
    assert code == 0 and out == "" and "no dead deliveries" in err


def test_streamed_list_is_one_json_object(two_errors, run_cli):
    code, out, _ = run_cli("errors", "list", "--json", "--limit", "0")
    assert code == 0
    parsed = json.loads(out)
    assert parsed["count"] == 2 and parsed["truncated"] is False and parsed["errors"][0]["id"] == "error-2"
    assert parsed["errors"] == opsctl.list_errors(limit=0)["errors"]


def test_list_functions_return_the_json_dicts(two_errors, run_cli):
    errors = opsctl.list_errors(limit=1)
    assert errors["count"] == 1 and errors["truncated"] is True and errors["errors"][0]["id"] == "error-2"
    code, out, _ = run_cli("errors", "list", "--json", "--limit", "1")
    assert json.loads(out) == errors
    assert opsctl.list_requests() == {"requests": [], "count": 0, "truncated": False}
    assert opsctl.list_improvements() == {"improvements": [], "count": 0, "truncated": False}
    assert [e["id"] for e in opsctl.list_errors(status="unresolved,resolved")["errors"]] == ["error-2", "error-1"]


def test_status_names_unresolved_and_all(run_cli):
    code, _, err = run_cli("errors", "list", "--status", "bogus")
    assert code == 2 and "unresolved" in err and "all" in err


def test_version(run_cli):
    code, out, _ = run_cli("--version")
    assert code == 0 and out.strip() == f"opsctl {opsctl.__version__}"


def test_completion_script_and_answers():
    env = dict(os.environ, PYTHONPATH=str(REPO))
    script = subprocess.run([sys.executable, "-m", "opsctl", "completion", "bash"], env=env, capture_output=True,
                            text=True)
    assert script.returncode == 0 and "complete -o default -F _opsctl_completion opsctl" in script.stdout
    assert "_OPSCTL_COMPLETE=complete_bash" in script.stdout
    answer = subprocess.run([sys.executable, "-m", "opsctl"], capture_output=True, text=True,
                            env=dict(env, COMP_WORDS="opsctl no", COMP_CWORD="1", _OPSCTL_COMPLETE="complete_bash"))
    assert answer.returncode == 0 and "notify-error" in answer.stdout.split()
    sub = subprocess.run([sys.executable, "-m", "opsctl"], capture_output=True, text=True,
                         env=dict(env, COMP_WORDS="opsctl errors ", COMP_CWORD="2", _OPSCTL_COMPLETE="complete_bash"))
    assert {"list", "show"} <= set(sub.stdout.split())


def test_completion_refuses_an_unknown_shell(run_cli):
    code, _, err = run_cli("completion", "tcsh")
    assert code == 2 and "valid: bash, zsh, fish" in err


def opsctl_cli(args: list[str], env: dict) -> str:
    return subprocess.run([sys.executable, "-m", "opsctl", *args], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO), **env)).stdout


def _in_a_terminal(args: list[str], env: dict, rows: int = 10) -> str:
    """Run opsctl with stdout on a pseudo-terminal of `rows` lines; what it wrote there."""
    import fcntl
    import struct
    import termios

    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", rows, 120, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "opsctl", *args], stdout=child, stderr=subprocess.PIPE,
                            env=dict(os.environ, PYTHONPATH=str(REPO), **env))
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(main)
    return b"".join(chunks).decode(errors="replace")


def test_pager_at_a_terminal_only_for_long_output(two_errors, tmp_path):
    paged = tmp_path / "paged.txt"
    pager = f"{sys.executable} -c \"import sys; open({str(paged)!r}, 'w').write(sys.stdin.read())\""
    shown = _in_a_terminal(["stats"], {"OPSCTL_PAGER": pager})
    assert paged.exists() and "Tier deadlines" in paged.read_text() and "Tier deadlines" not in shown
    paged.unlink()
    short = _in_a_terminal(["errors", "list", "--status", "resolved"], {"OPSCTL_PAGER": pager})
    assert not paged.exists() and "no errors match" in short  # fits the screen: printed directly
    piped = subprocess.run([sys.executable, "-m", "opsctl", "stats"], capture_output=True, text=True,
                           env=dict(os.environ, PYTHONPATH=str(REPO), OPSCTL_PAGER=pager))
    assert piped.returncode == 0 and not paged.exists()  # piped: never paged


def test_relative_times_at_a_terminal(two_errors):
    from datetime import timedelta

    from opsctl.clock import now, to_iso

    later = now() + timedelta(hours=3)
    shown = _in_a_terminal(["errors", "list"], {"OPSCTL_PAGER": "", "OPSCTL_NOW": to_iso(later)}, rows=50)
    assert "ago" in shown and to_iso(now())[:10] not in shown  # "3 h ago", not the ISO time
    piped = opsctl_cli(["errors", "list"], {"OPSCTL_NOW": to_iso(later)})
    assert to_iso(now())[:10] in piped and "ago" not in piped


def test_relative_time_wording():
    from datetime import datetime, timezone

    from opsctl.cli.output import relative_time

    at = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    assert relative_time("2026-12-01T11:55:00Z", at) == "5 min ago"
    assert relative_time("2026-12-01T09:00:00Z", at) == "3 h ago"
    assert relative_time("2026-11-28T12:00:00Z", at) == "3 d ago"
    assert relative_time("2026-12-01T12:10:00Z", at) == "in 10 min"


def test_log_improvement_with_an_unknown_error_target(run_cli):
    code, out, err = run_cli("log-improvement", "--department", "eng", "--operation", "x", "--improvement", "y",
                             "--impact", "z", "--category", "automation", "--targets", "error-123", "--json")
    assert code == 2 and json.loads(out)["ok"] is False and "error-123" in err
    assert opsctl.list_improvements()["count"] == 0  # nothing written


def test_quota_reset_in_the_past_is_refused(run_cli):
    code, _, err = run_cli("quota", "record", "Scraper API", "--used", "10", "--limit", "100",
                           "--resets-at", "2001-01-01")
    assert code == 2 and "in the past" in err


def test_wait_for_an_unknown_id_says_so_before_waiting(run_cli):
    code, _, err = run_cli("wait", "error-99", "--timeout", "5s")
    assert code == 2 and "error-99" in err and "waiting" not in err
