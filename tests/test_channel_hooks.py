"""notify_user (command and URL) and generic webhooks: JSON, HMAC signature, hooks that misbehave."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from pathlib import Path

import pytest

from opsctl import notify_error
from tests.delivery_support import NOTIFY_ARGS, blocking, deliveries, hook, outbox_rows, write_config  # noqa: F401

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


def test_hook_command_gets_the_notify_user_json_on_stdin(hook):
    result = notify_error(**blocking(recommendation="Option 1 (fastest)"))
    assert deliveries(result) == {"notify_user": "sent"}
    [call] = hook.calls()
    payload = call["payload"]
    assert {"id", "type", "service", "impact", "options", "message"} <= set(payload)
    assert payload["options"] == ["New API key", "Upgrade account", "Switch to alternative scraper"]
    assert "1. New API key" in payload["message"] and "Your decision?" in payload["message"]
    assert call["event"] == "notify" and call["delivery"] == str(outbox_rows()[0]["id"].split("-")[1])


def test_json_output_carries_the_same_payload(hook, cli):
    proc = cli(*NOTIFY_ARGS, "--json", env={"OPSCTL_NOTIFY_USER_CMD": hook.command()})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["deliveries"] == [{"channel": "notify_user", "status": "sent"}]
    sent = hook.calls()[0]["payload"]
    assert out["notification"]["message"] == sent["message"] and out["notification"]["id"] == sent["id"]


def test_a_failing_hook_is_queued_and_its_stderr_scrubbed(hook, monkeypatch):
    monkeypatch.setenv("OPSCTL_NOTIFY_USER_CMD", hook.command("fail"))
    [entry] = notify_error(**blocking())["deliveries"]
    assert entry["status"] == "queued" and "exited with status 3" in entry["error"]
    assert "abcdef123456" not in entry["error"] and "[REDACTED]" in entry["error"]
    assert outbox_rows("queued")[0]["attempts"] == 1
    assert len(hook.calls()) == 1  # not re-run within the same command: the outbox retries it later


def test_a_hanging_hook_is_killed_within_the_budget(hook, monkeypatch):
    write_config("outbox: {timeout: 1, budget: 2}\n")
    monkeypatch.setenv("OPSCTL_NOTIFY_USER_CMD", hook.command("hang"))
    [entry] = notify_error(**blocking())["deliveries"]
    assert entry["status"] == "queued" and "did not finish within" in entry["error"]
    assert hook.calls() == []  # it never got past its 60 s sleep: killed, not waited for
    pid = int(Path(str(hook.out) + ".pid").read_text())
    with pytest.raises(ProcessLookupError):  # and reaped: nothing left running
        os.kill(pid, 0)


def test_a_hook_printing_garbage_does_not_touch_our_stdout(hook, cli):
    proc = cli(*NOTIFY_ARGS, "--json", env={"OPSCTL_NOTIFY_USER_CMD": hook.command("garbage")})
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["deliveries"] == [{"channel": "notify_user", "status": "sent"}]
    assert "not json" not in proc.stdout + proc.stderr


def test_a_missing_hook_program_is_a_clear_permanent_failure(monkeypatch):
    monkeypatch.setenv("OPSCTL_NOTIFY_USER_CMD", "no-such-program-xyz --flag")
    [entry] = notify_error(**blocking())["deliveries"]
    assert entry["status"] == "failed"
    assert "OPSCTL_NOTIFY_USER_CMD: command not found: no-such-program-xyz" in entry["error"]


def _verify(secret: str, request) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), request.raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request.header("x-opsctl-signature") or "")


def test_hook_url_posts_signed_json(fake_hook, monkeypatch):
    monkeypatch.setenv("OPSCTL_NOTIFY_USER_URL", fake_hook.hook_url)
    monkeypatch.setenv("OPSCTL_WEBHOOK_SECRET", "s3cret-signing-key")
    assert deliveries(notify_error(**blocking())) == {"notify_user": "sent"}
    [request] = fake_hook.received
    assert _verify("s3cret-signing-key", request)
    assert not _verify("another-key", request)
    assert request.body["id"] == "error-1" and request.header("x-opsctl-event") == "notify"
    assert request.header("idempotency-key").startswith("opsctl-delivery-")


@pytest.mark.parametrize("status, expected", [(503, "queued"), (429, "queued"), (400, "failed"), (401, "failed")])
def test_hook_url_answers(fake_hook, monkeypatch, status, expected):
    monkeypatch.setenv("OPSCTL_NOTIFY_USER_URL", fake_hook.hook_url)
    write_config("outbox: {tries: 1}\n")
    fake_hook.fail_next("/hook", status=status, retry_after=120 if status == 429 else None)
    [entry] = notify_error(**blocking())["deliveries"]
    assert entry["status"] == expected and f"HTTP {status}" in entry["error"]
    assert fake_hook.hook_url not in entry["error"]
    if status == 429:  # Retry-After decides the next attempt
        from opsctl.clock import now, parse_iso

        assert (parse_iso(outbox_rows("queued")[0]["next_attempt_at"]) - now()).total_seconds() >= 119


def test_yaml_webhook_with_its_own_secret_and_purposes(fake_hook, monkeypatch):
    monkeypatch.setenv("SMS_RELAY_URL", fake_hook.hook_url)
    monkeypatch.setenv("SMS_SECRET", "relay-secret")
    write_config("channels:\n  sms:\n    type: webhook\n    url_env: SMS_RELAY_URL\n    secret_env: SMS_SECRET\n"
                 "  pager:\n    type: webhook\n    url: " + fake_hook.url + "/pager\n    purposes: [escalation]\n")
    assert deliveries(notify_error(**blocking())) == {"sms": "sent"}
    [request] = fake_hook.received
    assert request.path == "/hook" and _verify("relay-secret", request)


def test_the_operations_guide_webhook_names(fake_hook, monkeypatch):
    monkeypatch.setenv("ALERT_WEBHOOK_URL", fake_hook.hook_url)
    monkeypatch.setenv("ALERT_WEBHOOK_SECRET", "guide-secret")
    result = notify_error(**blocking())
    assert deliveries(result) == {"webhook": "sent"}
    [request] = fake_hook.received
    expected = "sha256=" + hmac.new(b"guide-secret", request.raw, hashlib.sha256).hexdigest()
    assert request.header("x-opsctl-signature") == expected
    assert request.body["id"] == result["id"] and "Your decision?" in request.body["message"]
