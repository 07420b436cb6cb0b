"""Bad input: exit 2, one line naming the valid values, nothing written. Broken environment: exit 1."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest
from tests.cli_support import incli  # noqa: F401 - the in-process CLI fixture

from tests.conftest import REPO

BAD = [
    (["notify-error", "--type", "nope", "--service", "S"], "api_limit, api_limit_warning"),
    (["notify-error", "--type", "api_limit", "--service", "S", "--impact", "huge"], "blocking, critical"),
    (["notify-error", "--type", "api_limit"], "--service"),
    (["track-error", "--error-type", "api_limit", "--service", "S", "--status", "done"], "open, escalated"),
    (["track-error", "--error-type", "api_limit", "--service", "S", "--status", "resolved"], "open, escalated"),
    (["request-integration", "--tool", "T", "--purpose", "P", "--urgency", "asap"], "low, medium, high, critical"),
    (["log-improvement", "--department", "d", "--operation", "o", "--improvement", "i", "--category", "x"],
     "automation, monitoring"),
    (["update-error", "--error-id", "error-999", "--status", "resolved"], "no error error-999"),
    (["update-error", "--error-id", "banana", "--status", "resolved"], "expected error-N"),
    (["update-error", "--error-id", "1", "--status", "resolved", "--resolution-time", "soon"], "15min"),
    (["update-error", "--error-id", "1", "--status", "fixed"], "false_positive"),
    (["update-error", "--error-id", "1"], "nothing to update"),
    (["errors", "list", "--status", "weird"], "acknowledged"),
    (["errors", "list", "--since", "yesterday-ish"], "7d"),
    (["errors", "show", "error-42"], "no error error-42"),
    (["requests", "decide", "req-1", "maybe"], "approve, reject, defer"),
    (["requests", "show", "req-9"], "no request req-9"),
]


def _ledger_rows(home):
    db = home / "ledger.db"
    if not db.exists():
        return None
    conn = sqlite3.connect(db)
    try:
        return [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("errors", "events", "requests")]
    finally:
        conn.close()


@pytest.mark.parametrize("args,names", BAD, ids=[" ".join(a[:3]) for a, _ in BAD])
def test_invalid_input_exit_2_one_line_nothing_written(run_cli, isolated_home, args, names):
    run_cli("track-error", "--error-type", "system_error", "--service", "seed")
    before = _ledger_rows(isolated_home)
    code, out, err = run_cli(*args)
    assert code == 2, err
    assert names in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert out == ""
    assert _ledger_rows(isolated_home) == before


def test_invalid_input_in_json_mode_is_one_json_object(run_cli):
    code, out, err = run_cli("notify-error", "--type", "nope", "--service", "S", "--json")
    assert code == 2
    payload = json.loads(out)
    assert payload["ok"] is False and "api_limit" in payload["error"] and payload["exit_code"] == 2


def test_forbidden_transition_is_exit_2(run_cli):
    run_cli("track-error", "--error-type", "api_limit", "--service", "S")
    run_cli("update-error", "--error-id", "1", "--status", "resolved")
    code, _, err = run_cli("update-error", "--error-id", "1", "--status", "acknowledged")
    assert code == 2 and "--status open" in err


def test_unwritable_ledger_folder_is_exit_1(incli, tmp_path):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    proc = incli("track-error", "--error-type", "api_limit", "--service", "S",
               env={"OPSCTL_HOME": str(blocker / "sub")})
    assert proc.returncode == 1
    assert "OPSCTL_HOME" in proc.stderr and "Traceback" not in proc.stderr


def test_corrupt_ledger_is_exit_1(incli, tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    proc = incli("errors", "list", env={"OPSCTL_DB": str(bad)})
    assert proc.returncode == 1
    assert str(bad) in proc.stderr and "corrupt" in proc.stderr and "Traceback" not in proc.stderr


def test_broken_yaml_config_is_exit_1(incli, tmp_path):
    (tmp_path / "opsctl.yaml").write_text("channels: [unclosed\n")
    from opsctl.config import load_config
    from opsctl.errors import OperationalFailure

    with pytest.raises(OperationalFailure, match="opsctl.yaml: invalid YAML at line"):
        load_config(tmp_path / "opsctl.yaml")


def test_broken_dotenv_is_exit_1(incli, tmp_path):
    (tmp_path / ".env").write_text("GOOD=1\nthis line is broken 'quote\n")
    proc = incli("errors", "list")
    assert proc.returncode == 1
    assert ".env" in proc.stderr and "line 2" in proc.stderr and "Traceback" not in proc.stderr


def test_dotenv_is_read_and_real_env_wins(tmp_path, monkeypatch):
    from opsctl.settings import Settings

    (tmp_path / ".env").write_text("SLACK_CHANNEL=#from-dotenv\nOPSCTL_ACTOR=dotenv-actor\n")
    monkeypatch.setenv("OPSCTL_ACTOR", "real-actor")
    settings = Settings.load(tmp_path)
    assert settings.get("SLACK_CHANNEL") == "#from-dotenv"
    assert settings.actor == "real-actor"


def test_debug_shows_traceback(incli, tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"garbage" * 200)
    proc = incli("errors", "list", "--debug", env={"OPSCTL_DB": str(bad)})
    assert proc.returncode != 0 and "Traceback" in proc.stderr


@pytest.mark.parametrize("payload", [
    "x" * 1_000_000,
    "line one\nline two with \"quotes\" and 'single' and \\ backslash",
    "emoji 🚨🔥 and عربى right-to-left ‮ text",
    "$(rm -rf /); `touch /tmp/opsctl-pwned`; echo $HOME | cat && ls > /dev/null",
], ids=["1MB", "quotes", "emoji-rtl", "shell"])
def test_hostile_text_is_stored_faithfully_and_never_executed(incli, payload, tmp_path):
    # the OS caps one argument at 128 KiB, so the megabyte goes through `--details -` (stdin)
    proc = incli("notify-error", "--type", "system_error", "--service", "S", "--details", "-",
               "--impact", "info", "--json", input=payload)
    assert proc.returncode == 0, proc.stderr[-500:]
    out = json.loads(proc.stdout)
    shown = incli.json("errors", "show", out["id"])
    assert shown["details"] == payload
    import os

    assert not os.path.exists("/tmp/opsctl-pwned")


def test_control_characters_are_removed():
    import opsctl

    out = opsctl.track_error("system_error", "S\x00vc", details="bell\x07 nul\x00 esc\x1b[31m red\ttab\nline")
    assert out["service"] == "Svc"
    assert out["details"] == "bell nul esc[31m red\ttab\nline"


NINES = "9" * 400
HUGE = "99999999999999999999"
# the families of inputs that used to end in `unexpected …` (exit 1): each is now a clear exit 2
BAD_EDGES = [
    (["errors", "show", HUGE], "too large"),
    (["update-error", "--error-id", HUGE, "--status", "resolved"], "too large"),
    (["errors", "list", "--limit", HUGE], "too large"),
    (["errors", "list", "--limit", "-5"], "0 or more"),
    (["stats", "--top", "-1"], "0 or more"),
    (["jobs", "show", "x", "--limit", HUGE], "too large"),
    (["errors", "list", "--since", "99999999999999w"], "7d"),
    (["stats", "--since", "99999999999999w"], "7d"),
    (["errors", "list", "--since", "1e400d"], "7d"),
    (["quota", "record", "S", "--used", "nan", "--limit", "10"], "--used must be a number"),
    (["quota", "record", "S", "--used", "inf", "--limit", "10"], "--used must be a number"),
    (["quota", "record", "S", "--used", "1e309", "--limit", "10"], "--used must be a number"),
    (["quota", "record", "S", "--used", "5", "--limit", "-inf"], "--limit must be a number"),
    (["update-error", "--error-id", "1", "--status", "resolved", "--resolution-time", NINES], "too large"),
    (["update-error", "--error-id", "1", "--status", "resolved", "--resolution-time", NINES + "min"], "resolution"),
    (["update-error", "--error-id", "1", "--status", "resolved", "--resolution-time", "999999999999h"], "100 years"),
    (["errors", "list", "--status", ""], "acknowledged"),
    (["errors", "list", "--impact", ""], "blocking"),
    (["errors", "list", "--type", ""], "api_limit"),
    (["notify-error", "--type", "api_limit", "--service", "bad \udcff text"], "not valid UTF-8"),
    (["notify-error", "--type", "", "--service", "S"], "api_limit"),
    (["integrations", "add", "--service", "NewSvc", "--request", "req-999"], "no request req-999"),
    (["integrations", "add", "--service", "NewSvc", "--request", "banana"], "expected req-N"),
]


@pytest.mark.parametrize("args,names", BAD_EDGES, ids=[" ".join(a[:4])[:50] for a, _ in BAD_EDGES])
def test_edge_inputs_exit_2_short_message_nothing_written(run_cli, isolated_home, tmp_path, args, names):
    run_cli("track-error", "--error-type", "system_error", "--service", "seed")
    before = _ledger_rows(isolated_home)
    code, out, err = run_cli(*args)
    assert code == 2, err
    assert names in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert len(err) < 300  # the offending value is quoted short
    assert _ledger_rows(isolated_home) == before
    assert not (tmp_path / "integrations.md").exists() and not (isolated_home / "integrations.md").exists()


def test_stdin_details_must_be_utf8(cli):
    proc = subprocess.run([sys.executable, "-m", "opsctl", "notify-error", "--type", "api_limit", "--service", "S",
                           "--details", "-"], input=b"\xff\xfe broken", capture_output=True, cwd=cli.cwd,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 2 and b"not valid UTF-8" in proc.stderr


def test_infinity_already_in_the_ledger_does_not_break_views(run_cli, isolated_home):
    run_cli("track-error", "--error-type", "system_error", "--service", "old")
    conn = sqlite3.connect(isolated_home / "ledger.db")
    conn.execute("UPDATE errors SET resolution_seconds = 9e999, status = 'resolved'")
    conn.commit()
    conn.close()
    for args in (["errors", "show", "1"], ["digest", "--dry-run"], ["stats"]):
        code, _, err = run_cli(*args)
        assert code == 0, (args, err)


def test_integrations_cells_escape_line_breakers(run_cli, tmp_path):
    code, out, err = run_cli("integrations", "add", "--service", "Sep", "--tier", "a\u2028b", "--limits",
                             "x\x0by\x0cz", "--json")
    assert code == 0, err
    path = json.loads(out)["file"]
    code, _, err = run_cli("integrations", "add", "--service", "Next", "--tier", "Free")
    assert code == 0, err
    code, out, err = run_cli("integrations", "list", "--json")
    assert code == 0, err
    rows = {i["service"]: i for i in json.loads(out)["integrations"]}
    assert set(rows) >= {"Sep", "Next"}
    text = open(path, encoding="utf-8").read()
    assert "\u2028" not in text and "\x0b" not in text and "\\u2028" in text
