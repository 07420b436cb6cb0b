"""With --json, every failure says which kind it is: agents branch on `code`."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

NOTIFY = ("notify-error", "--type", "api_limit", "--service", "Codes", "--details", "d", "--impact", "info")


def _failure(proc, exit_code, code):
    assert proc.returncode == exit_code, proc.stderr
    body = json.loads(proc.stdout)
    assert body == {"ok": False, "error": body["error"], "code": code, "exit_code": exit_code}
    assert "\n" not in body["error"] and body["error"]
    return body


def test_invalid_input_and_not_found(cli):
    _failure(cli("notify-error", "--type", "nope", "--service", "S", "--json"), 2, "invalid_input")
    _failure(cli("errors", "show", "error-4242", "--json"), 2, "not_found")
    _failure(cli("errors", "list", "--nonsense", "--json"), 2, "invalid_input")


def test_config_invalid(cli, tmp_path):
    (tmp_path / "opsctl.yaml").write_text("routing: [oops\n")
    _failure(cli("channels", "list", "--json"), 1, "config_invalid")


def test_corrupt_ledger(cli, tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    _failure(cli(*NOTIFY, "--json", env={"OPSCTL_DB": str(bad)}), 1, "ledger_corrupt")


def test_mid_file_corruption_is_detected(cli, tmp_path):
    db = tmp_path / "mid.db"
    env = {"OPSCTL_DB": str(db)}
    for n in range(60):
        cli.json("notify-error", "--type", "api_limit", "--service", f"S{n}", "--details", "x" * 2000,
                 "--impact", "info", env=env)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    size = db.stat().st_size
    with open(db, "r+b") as handle:  # 8 KiB of garbage in the middle, the header intact
        handle.seek(size // 2)
        handle.write(os.urandom(8192))
    proc = cli("errors", "list", "--json", "--limit", "1000", env=env)
    doctor = cli("doctor", "--json", env=env)
    assert doctor.returncode == 1
    report = json.loads(doctor.stdout)
    assert any(p["check"] == "ledger" for p in report["problems"]), report
    if proc.returncode != 0:
        _failure(proc, 1, "ledger_corrupt")


def make_read_only(path):
    """A file even root cannot write: the immutable attribute (root), else plain modes. Returns the undo."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
        return lambda: subprocess.run(["chattr", "-i", str(path)], check=True)
    path.chmod(0o400)
    return lambda: path.chmod(0o600)


def test_read_only_ledger_is_unavailable(cli, tmp_path):
    db = tmp_path / "ro.db"
    cli.json(*NOTIFY, env={"OPSCTL_DB": str(db)})
    undo = make_read_only(db)
    try:
        _failure(cli("notify-error", "--type", "auth_failure", "--service", "New", "--details", "d",
                     "--impact", "info", "--json", env={"OPSCTL_DB": str(db)}), 1, "ledger_unavailable")
    finally:
        undo()


def test_locked_ledger_is_unavailable(cli, tmp_path):
    db = tmp_path / "locked.db"
    env = {"OPSCTL_DB": str(db)}
    cli.json(*NOTIFY, env=env)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys\n"
        f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
        "c.execute('BEGIN IMMEDIATE')\nprint('held', flush=True)\nsys.stdin.read()\n")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        proc = cli("notify-error", "--type", "api_limit", "--service", "Other", "--details", "d", "--impact",
                   "info", "--json", env=dict(env, OPSCTL_BUSY_TIMEOUT="0.2"))
        _failure(proc, 1, "ledger_unavailable")
    finally:
        holder.stdin.close()
        holder.wait()
