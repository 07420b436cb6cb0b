"""Secrets never leave: every shape the scrubber knows, values it learned, and the doors it guards."""

from __future__ import annotations

import json
import os
import sqlite3
import sys

import pytest

from opsctl import scrub as scrub_module
from opsctl.scrub import scrub

PEM = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
       "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----")
# (raw text, the secret that must disappear, what must survive)
CASES = [
    ("DB_PASSWORD=hunter22 connect failed", "hunter22", "DB_PASSWORD="),
    ("PGPASSWORD=pgs3cret psql -h db", "pgs3cret", "psql -h db"),
    ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI", "AWS_SECRET_ACCESS_KEY="),
    ("OPENAI_API_KEY=plainvalue123 rejected", "plainvalue123", "rejected"),
    ("SLACK_TOKEN=abc123xyz789", "abc123xyz789", "SLACK_TOKEN="),
    ("mysql --password hunter23 -u root", "hunter23", "-u root"),
    ("mysql --password=hunter24 -u root", "hunter24", "-u root"),
    ("redis://:redispw99@cache.internal:6379/0", "redispw99", "cache.internal"),
    ("stripe sk_live_51HxYzAbCdEfGhIjKl failed", "sk_live_51HxYzAbCdEfGhIjKl", "stripe"),
    ("rk_live_51HxYzAbCdEfGhIjKl", "rk_live_51HxYzAbCdEfGhIjKl", ""),
    ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ""),
    ("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", "ngeVfQFYQlKU0ufo8x5d1A", ""),
    ("GET /b?X-Amz-Algorithm=AWS4&X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
     "fe5f80f77d5fa3beca038a248ff027", "X-Amz-Algorithm=AWS4"),
    (f"key file:\n{PEM}\nend", "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun", "end"),
    (PEM[:90], "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo", ""),  # cut off before the END line (a job's tail)
    ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA==", "Authorization: Basic"),
    ("npm_abcdefghijklmnopqrstuvwxyz0123456789", "npm_abcdefghijklmnopqrstuvwxyz0123456789", ""),
    ("glpat-xxxxxxxxxxxxxxxxxxxx", "glpat-xxxxxxxxxxxxxxxxxxxx", ""),
    ("AIzaSyA1234567890abcdefghijklmnopqrstuv", "AIzaSyA1234567890abcdefghijklmnopqrstuv", ""),
    ("xapp-1-A0123456789-1234567890123-abcdef", "xapp-1-A0123456789", ""),
    ("xoxe.xoxp-1-Mi0yLTM0MzQ1", "xoxe.xoxp-1-Mi0yLTM0MzQ1", ""),
    ("xoxe-1-My0xLTEyMzQ1Njc4", "xoxe-1-My0xLTEyMzQ1Njc4", ""),
    ("twilio SK0123456789abcdef0123456789abcdef sid", "SK0123456789abcdef0123456789abcdef", "twilio"),
    ("TWILIO_AUTH_TOKEN=9f3c2a1b8d7e6f5a4b3c2d1e0f9a8b7c", "9f3c2a1b8d7e6f5a4b3c2d1e0f9a8b7c", ""),
    ('{"db_password": "j s o n pw", "user": "bob"}', "j s o n pw", '"user": "bob"'),
    ("SENTRY_DSN=https://abc@o1.ingest.sentry.io/1", "abc@o1", "SENTRY_DSN="),
    ("MY_CREDENTIALS=c0ffee-beef", "c0ffee-beef", ""),
    ("STRIPE_WEBHOOK_SECRET='quoted value'", "quoted value", ""),
]


@pytest.mark.parametrize("raw,secret,survives", CASES, ids=[c[1][:20] for c in CASES])
def test_secret_shapes_are_redacted(raw, secret, survives):
    out = scrub(raw)
    assert secret not in out, out
    assert "[REDACTED]" in out
    assert survives in out


def test_ordinary_text_survives():
    for text in ("token validation failed after password reset; secret santa",
                 "GET /api/users returned 500 after 3 retries", "keyboard layout", "--json --limit 5",
                 "task-force-alpha-bravo-charlie-delta", "desk_test_results_2026"):
        assert scrub(text) == text


def test_known_values_are_scrubbed_whatever_their_shape(monkeypatch, tmp_path):
    from opsctl.settings import Settings

    scrub_module.forget_all()
    monkeypatch.setenv("OPSCTL_WEBHOOK_SECRET", "plain-words-secret")
    (tmp_path / ".env").write_text("SLACK_WEBHOOK_URL=https://example.org/my/secret/hook\nINTERNAL_KEY=zz9-plural-z\n")
    Settings.load(cwd=tmp_path)
    out = scrub("sig plain-words-secret url https://example.org/my/secret/hook and zz9-plural-z")
    assert "plain-words-secret" not in out and "example.org/my/secret" not in out and "zz9-plural-z" not in out
    scrub_module.forget_all()


def test_every_secret_channel_setting_is_known():
    """New secret settings must be scrubbed by value and kept from child processes."""
    from opsctl.channels.registry import DEFAULT_CHANNELS, channel_type

    for name in DEFAULT_CHANNELS:
        for setting in channel_type(name).settings.values():
            if setting.secret and setting.env:
                assert setting.env in scrub_module.SECRET_ENV, setting.env


def test_note_and_debug_traceback_are_scrubbed(cli):
    made = cli.json("notify-error", "--type", "auth_failure", "--service", "Billing", "--details", "x",
                    "--impact", "info")
    proc = cli("update-error", "--error-id", made["id"], "--status", "acknowledged",
               "--note", "tried DB_PASSWORD=n0tes3cret again")
    assert proc.returncode == 0, proc.stderr
    shown = cli.json("errors", "show", made["id"])
    assert "n0tes3cret" not in json.dumps(shown)
    proc = cli("errors", "show", "99999", "--debug", env={"OPSCTL_DB": "/nonexistent/dir/PGPASSWORD=tr4ceback/x.db"})
    assert "tr4ceback" not in proc.stderr and "tr4ceback" not in proc.stdout


def test_child_processes_do_not_inherit_opsctl_secrets(cli, tmp_path):
    printer = tmp_path / "printenv.py"
    printer.write_text("import json, os, sys\nprint(json.dumps(dict(os.environ)))\n")
    env = {"OPSCTL_WEBHOOK_SECRET": "whs-should-not-leak", "SLACK_BOT_TOKEN": "xoxb-should-not-leak-1",
           "MY_APP_SETTING": "kept"}
    proc = cli("run", "envjob", "--", sys.executable, str(printer), env=env)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert "OPSCTL_WEBHOOK_SECRET" not in seen and "SLACK_BOT_TOKEN" not in seen
    assert seen["MY_APP_SETTING"] == "kept"
    proc = cli("run", "envjob", "--", sys.executable, str(printer), env=dict(env, OPSCTL_PASS_ENV="SLACK_BOT_TOKEN"))
    assert json.loads(proc.stdout)["SLACK_BOT_TOKEN"] == "xoxb-should-not-leak-1"


def test_notify_user_hook_does_not_inherit_slack_token(cli, tmp_path):
    out = tmp_path / "hook-env.json"
    hook = tmp_path / "hook.py"
    hook.write_text(f"import json, os, sys\nsys.stdin.read()\nopen({str(out)!r}, 'w').write(json.dumps(dict(os.environ)))\n")
    env = {"OPSCTL_NOTIFY_USER_CMD": f"{sys.executable} {hook}", "SLACK_BOT_TOKEN": "xoxb-nope-123456",
           "SLACK_CHANNEL": "#x", "SLACK_API_URL": "http://127.0.0.1:9/"}
    proc = cli("notify-error", "--type", "api_limit", "--service", "S", "--details", "d", "--impact", "info", env=env)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(out.read_text())
    assert "SLACK_BOT_TOKEN" not in seen


def test_integrations_cells_are_scrubbed(cli, isolated_home):
    proc = cli("integrations", "add", "--service", "Stripe", "--tier", "billing with sk_live_abcdefghijklmnop")
    assert proc.returncode == 0, proc.stderr
    text = (cli.cwd / "integrations.md").read_text() if (cli.cwd / "integrations.md").exists() else ""
    for path in [cli.cwd / "integrations.md", isolated_home / "integrations.md"]:
        if path.exists():
            text += path.read_text()
    assert "Stripe" in text and "sk_live_abcdefghijklmnop" not in text
