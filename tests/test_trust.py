"""Files that can make opsctl run a command are obeyed only when safely owned; what opsctl creates is private."""

from __future__ import annotations

import json
import os
import stat
import sys

NOTIFY = ("notify-error", "--type", "api_limit", "--service", "Trusty", "--details", "d", "--impact", "info")


def _hook(tmp_path):
    marker = tmp_path / "hook-ran"
    hook = tmp_path / "hook.py"
    hook.write_text(f"import sys\nsys.stdin.read()\nopen({str(marker)!r}, 'w').write('ran')\n")
    return marker, f"{sys.executable} {hook}"


def test_group_writable_dotenv_command_is_refused_but_the_report_is_recorded(cli, tmp_path):
    marker, command = _hook(tmp_path)
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"OPSCTL_NOTIFY_USER_CMD={command}\nOPSCTL_ACTOR=from-dotenv\n")
    dotenv.chmod(0o664)
    proc = cli(*NOTIFY)
    assert proc.returncode == 1
    assert f"chmod go-w {dotenv}" in proc.stderr and not marker.exists()
    listed = cli.json("errors", "list")["errors"]
    assert [e["service"] for e in listed] == ["Trusty"]  # recorded all the same
    proc = cli("errors", "list", "--json")  # the rest of the .env still works, nothing to run here
    assert proc.returncode == 0
    dotenv.chmod(0o600)
    proc = cli("notify-error", "--type", "api_limit", "--service", "Trusty2", "--details", "d", "--impact", "info")
    assert proc.returncode == 0, proc.stderr
    assert marker.exists()


def test_untrusted_failure_code_in_json(cli, tmp_path):
    _, command = _hook(tmp_path)
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"OPSCTL_NOTIFY_USER_CMD={command}\n")
    dotenv.chmod(0o666)
    proc = cli("channels", "list", "--json")
    assert proc.returncode == 1
    assert "untrusted" in proc.stderr and str(dotenv) in proc.stderr


def test_the_real_environment_is_always_trusted(cli, tmp_path):
    marker, command = _hook(tmp_path)
    (tmp_path / ".env").write_text("OPSCTL_ACTOR=x\n")
    (tmp_path / ".env").chmod(0o666)
    proc = cli(*NOTIFY, env={"OPSCTL_NOTIFY_USER_CMD": command})
    assert proc.returncode == 0, proc.stderr
    assert marker.exists()


def test_world_writable_config_does_not_run_remediation(cli, tmp_path):
    marker = tmp_path / "fixed"
    config = tmp_path / "opsctl.yaml"
    config.write_text("remediation:\n  fix:\n    type: api_limit\n"
                      f"    command: [{sys.executable!r}, -c, \"open({str(marker)!r}, 'w')\"]\n")
    config.chmod(0o646)
    proc = cli(*NOTIFY)
    assert proc.returncode == 1 and not marker.exists()
    assert f"chmod go-w {config}" in proc.stderr
    assert cli.json("errors", "list")["errors"][0]["status"] == "escalated"  # notified as usual instead
    config.chmod(0o644)
    proc = cli("notify-error", "--type", "api_limit", "--service", "Other", "--details", "d", "--impact", "info")
    assert proc.returncode == 0, proc.stderr
    assert marker.exists()


def test_dotenv_is_also_read_from_opsctl_home(cli, tmp_path, isolated_home):
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / ".env").write_text("OPSCTL_ACTOR=home-actor\n")
    made = cli.json(*NOTIFY)
    shown = cli.json("errors", "show", made["id"])
    assert "home-actor" in json.dumps(shown)
    (tmp_path / ".env").write_text("OPSCTL_ACTOR=local-actor\n")  # ./.env comes first
    made = cli.json("notify-error", "--type", "auth_failure", "--service", "X", "--details", "d", "--impact", "info")
    assert "local-actor" in json.dumps(cli.json("errors", "show", made["id"]))


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_files_opsctl_creates_are_private(cli, isolated_home, tmp_path):
    os.umask(0o022)
    cli.json(*NOTIFY)
    proc = cli("run", "privatejob", "--", sys.executable, "-c", "print(1)")
    assert proc.returncode == 0, proc.stderr
    assert _mode(isolated_home) == 0o700
    created = [p for p in isolated_home.rglob("*")]
    assert any(p.name == "ledger.db" for p in created) and any(p.suffix == ".jsonl" for p in created)
    for path in created:
        expected = 0o700 if path.is_dir() else 0o600
        assert _mode(path) & 0o077 == 0, (path, oct(_mode(path)))
        if path.name.startswith("ledger.db"):
            assert _mode(path) == expected, path


def test_untrusted_inventory_does_not_run_its_usage_command(cli, tmp_path):
    marker = tmp_path / "usage-ran"
    script = tmp_path / "usage.py"
    script.write_text("import json, os\n"
                      f"open({str(marker)!r}, 'w').write(json.dumps(dict(os.environ)))\n"
                      "print(json.dumps({'used': 1, 'limit': 10}))\n")
    services = {"services": {"Cmd API": {"usage": {"type": "command", "command": [sys.executable, str(script)]}}}}
    doc = tmp_path / "integrations.md"
    doc.write_text("# Integrations\n\n| Service | API tier | Limits | Credential location | Usage monitoring |"
                   " Backup option |\n|---|---|---|---|---|---|\n| Cmd API | Free | 10 | - | cmd | none |\n\n"
                   f"```yaml\n{json.dumps(services)}\n```\n")
    doc.chmod(0o666)
    env = {"SLACK_BOT_TOKEN": "xoxb-not-for-usage-1"}
    proc = cli("quota", "check", env=env)
    assert proc.returncode == 1 and not marker.exists()
    assert f"chmod go-w {doc}" in proc.stderr
    doctor = json.loads(cli("doctor", "--json").stdout)
    assert any(p["fix"] == f"chmod go-w {doc}" for p in doctor["problems"])
    doc.chmod(0o644)
    proc = cli("quota", "check", env=env)
    assert marker.exists(), proc.stderr
    assert "SLACK_BOT_TOKEN" not in json.loads(marker.read_text())
