"""The ledger unavailable: reports wait in the spool and are recorded by the next command."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

from tests.test_failure_codes import make_read_only

NOTIFY = ("notify-error", "--type", "api_limit", "--service", "Spooled", "--details", "kept for later",
          "--impact", "warning")


def _hold_lock(db):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys\n"
        f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
        "c.execute('BEGIN IMMEDIATE')\nprint('held', flush=True)\nsys.stdin.read()\n")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def _spool(home):
    folder = home / "spool"
    return sorted(p for p in folder.iterdir() if p.suffix == ".json") if folder.exists() else []


def test_locked_ledger_spools_and_the_next_command_ingests(cli, isolated_home):
    cli.json("track-error", "--error-type", "system_error", "--service", "seed")
    holder = _hold_lock(isolated_home / "ledger.db")
    try:
        proc = cli(*NOTIFY, "--json", env={"OPSCTL_BUSY_TIMEOUT": "0.2"})
        track = cli("track-error", "--error-type", "auth_failure", "--service", "Tracked", "--json",
                    env={"OPSCTL_BUSY_TIMEOUT": "0.2"})
    finally:
        holder.stdin.close()
        holder.wait()
    assert proc.returncode == 1 and track.returncode == 1
    body = json.loads(proc.stdout)
    assert body["code"] == "ledger_unavailable" and "spool" in body["error"]
    files = _spool(isolated_home)
    assert len(files) == 2
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((isolated_home / "spool").stat().st_mode) == 0o700
    listed = cli("errors", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    services = {e["service"]: e for e in json.loads(listed.stdout)["errors"]}
    assert {"Spooled", "Tracked"} <= set(services)
    assert services["Spooled"]["details"] == "kept for later"
    assert "spool" in listed.stderr
    assert _spool(isolated_home) == []


def test_read_only_ledger_spools(cli, isolated_home):
    cli.json("track-error", "--error-type", "system_error", "--service", "seed")
    undo = make_read_only(isolated_home / "ledger.db")
    try:
        proc = cli(*NOTIFY)
    finally:
        undo()
    assert proc.returncode == 1 and "spool" in proc.stderr
    assert len(_spool(isolated_home)) == 1
    assert "Spooled" in {e["service"] for e in cli.json("errors", "list")["errors"]}


def test_when_even_the_spool_cannot_be_written_the_report_goes_to_stderr(cli, isolated_home, tmp_path):
    cli.json("track-error", "--error-type", "system_error", "--service", "seed")
    (isolated_home / "spool").write_text("not a folder")  # the spool cannot be created
    holder = _hold_lock(isolated_home / "ledger.db")
    try:
        proc = cli(*NOTIFY, env={"OPSCTL_BUSY_TIMEOUT": "0.2"})
    finally:
        holder.stdin.close()
        holder.wait()
    assert proc.returncode == 1
    assert "kept for later" in proc.stderr and '"Spooled"' in proc.stderr
